package dev.cardsmith.csp;

import dev.cardsmith.transport.CardStatusException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.KeyStoreSpi;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;

/**
 * KeyStore "CARDSMITH": the card's key slots. Aliases are the slot labels ("slotN" for an
 * unlabelled key), every entry is a key entry whose chain is the slot's certificate. The load
 * password is the user PIN; there is no file ({@code keytool -keystore NONE}). Writes go to the
 * card immediately, so {@code store} has nothing to do.
 */
final class CardKeyStoreSpi extends KeyStoreSpi {

    private final CardsmithProvider provider;
    private List<SlotInfo> slots = List.of();

    CardKeyStoreSpi(CardsmithProvider provider) {
        this.provider = provider;
    }

    @Override
    public void engineLoad(InputStream stream, char[] password) throws IOException {
        if (stream != null) throw new IOException("the Cardsmith key store is the card: load it with a null stream (keytool -keystore NONE)");
        PivCard card;
        try {
            card = provider.card();
            if (password != null && password.length > 0) card.login(password);
            refresh();
        } catch (CardStatusException e) {
            IOException io = new IOException("card refused the PIN: " + e.getMessage());
            if ((e.sw() & 0xFFF0) == 0x63C0 || e.sw() == 0x6983) io.initCause(new UnrecoverableKeyException(e.getMessage()));
            throw io;
        } catch (RuntimeException e) {
            throw new IOException("cannot open the card: " + e.getMessage(), e);
        }
    }

    @Override
    public void engineLoad(KeyStore.LoadStoreParameter param) throws IOException {
        char[] pin = null;
        if (param != null && param.getProtectionParameter() instanceof KeyStore.PasswordProtection pp) pin = pp.getPassword();
        engineLoad(null, pin);
    }

    private void refresh() {
        slots = provider.card().slots();
    }

    private SlotInfo find(String alias) {
        for (SlotInfo s : slots) if (s.hasKey() && s.alias().equals(alias)) return s;
        return null;
    }

    @Override
    public Key engineGetKey(String alias, char[] password) throws UnrecoverableKeyException {
        SlotInfo s = find(alias);
        if (s == null) return null;
        if (password != null && password.length > 0 && !provider.card().loggedIn()) {
            try {
                provider.card().login(password);
            } catch (CardStatusException e) {
                throw new UnrecoverableKeyException("card refused the PIN: " + e.getMessage());
            }
        }
        return provider.key(s);
    }

    @Override
    public Certificate[] engineGetCertificateChain(String alias) {
        Certificate c = engineGetCertificate(alias);
        return c == null ? null : new Certificate[] {c};
    }

    @Override
    public Certificate engineGetCertificate(String alias) {
        SlotInfo s = find(alias);
        if (s == null || s.certificateLength() == 0) return null;
        return provider.card().certificate(s.slot());
    }

    @Override
    public Date engineGetCreationDate(String alias) {
        Certificate c = engineGetCertificate(alias);
        if (c instanceof X509Certificate x) return x.getNotBefore();
        return find(alias) == null ? null : new Date(0);
    }

    /**
     * Only for a key that already lives on this card: stores chain[0] as the slot's certificate
     * (what keytool -importcert does with a CA reply). Software keys cannot be imported: keys
     * are generated on the card.
     */
    @Override
    public void engineSetKeyEntry(String alias, Key key, char[] password, Certificate[] chain) throws KeyStoreException {
        if (!(key instanceof CardPrivateKey k)) throw new KeyStoreException("keys are generated on the card; software keys cannot be imported");
        if (chain == null || chain.length == 0) throw new KeyStoreException("a certificate is required");
        if (!chain[0].getPublicKey().equals(k.publicKey())) throw new KeyStoreException("the certificate is not for this key");
        try {
            provider.card().putCertificate(k.slot(), chain[0].getEncoded());
            refresh();
        } catch (CertificateEncodingException | RuntimeException e) {
            throw new KeyStoreException("cannot store the certificate: " + e.getMessage(), e);
        }
    }

    @Override
    public void engineSetKeyEntry(String alias, byte[] key, Certificate[] chain) throws KeyStoreException {
        throw new KeyStoreException("keys are generated on the card; protected key import is not supported");
    }

    @Override
    public void engineSetCertificateEntry(String alias, Certificate cert) throws KeyStoreException {
        throw new KeyStoreException("the card holds certificates of its own keys only, no trusted certificates");
    }

    @Override
    public void engineDeleteEntry(String alias) throws KeyStoreException {
        SlotInfo s = find(alias);
        if (s == null) return;
        try {
            provider.card().delete(s.slot());
            refresh();
        } catch (RuntimeException e) {
            throw new KeyStoreException("cannot delete " + alias + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Enumeration<String> engineAliases() {
        List<String> a = new ArrayList<>();
        for (SlotInfo s : slots) if (s.hasKey()) a.add(s.alias());
        return Collections.enumeration(a);
    }

    @Override
    public boolean engineContainsAlias(String alias) {
        return find(alias) != null;
    }

    @Override
    public int engineSize() {
        int n = 0;
        for (SlotInfo s : slots) if (s.hasKey()) n++;
        return n;
    }

    @Override
    public boolean engineIsKeyEntry(String alias) {
        return find(alias) != null;
    }

    @Override
    public boolean engineIsCertificateEntry(String alias) {
        return false;
    }

    @Override
    public String engineGetCertificateAlias(Certificate cert) {
        for (SlotInfo s : slots) {
            if (s.hasKey() && s.certificateLength() > 0 && cert.equals(provider.card().certificate(s.slot()))) return s.alias();
        }
        return null;
    }

    @Override
    public void engineStore(OutputStream stream, char[] password) throws IOException {
        if (stream != null) throw new IOException("the Cardsmith key store is the card: store with a null stream (keytool -keystore NONE)");
    }
}
