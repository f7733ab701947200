package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.transport.ApduRelay;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The central system (claims 1, 4, 11, 21). Mutual authentication, GP SCP11b-like: the module
 * proves its certified module key through the static-ephemeral ECDH in the key derivation
 * (receipt), the central system proves its key (certified by the perso unit, claim 5) with an
 * HSM signature over the transcript. The agreed transaction key is stored in the module (claim
 * 11); the central system keeps it in memory for this process (the HSM port has no secret-key
 * import, see docs/module.md), with the counter that stops replays.
 */
public final class CentralSystem {

    private static final Logger LOG = LoggerFactory.getLogger(CentralSystem.class);

    private final CertificateAuthority ca;
    private final Map<String, TransactionKey> keys = new ConcurrentHashMap<>();

    public CentralSystem(CertificateAuthority ca) {
        this.ca = ca;
    }

    private static final class TransactionKey {
        final byte[] key;
        long counter;
        TransactionKey(byte[] key) { this.key = key; }
    }

    /** Result of an authentication: the module's id and its verified certificate. */
    public record Authenticated(String moduleId, CvCertificate moduleCertificate) {}

    public Authenticated authenticate(ModuleCard card, LocalDate today) {
        String moduleId = null;
        try {
            KeyPair eph = EcP256.generate();
            byte[] ePkCs = EcP256.encode(eph.getPublic());
            byte[] r = card.centralAuthenticate(ePkCs);
            Tlv.Reader rd = new Tlv.Reader(r, ModuleException::new);
            byte[] ePkCard = rd.expect(Constants.TAG_EPHEMERAL_KEY).value();
            byte[] receipt = rd.expect(Constants.TAG_RECEIPT).value();
            Tlv.Element certEl = rd.expect(Constants.TAG_CV_CERTIFICATE);
            rd.expectEnd();
            CvCertificate moduleCert = CvCertificate.parse(Arrays.copyOfRange(r, certEl.start(), certEl.end()));
            checkModuleChain(moduleCert, today);
            moduleId = moduleCert.chr().substring(2, 11);

            byte[] zE = EcP256.agree(eph.getPrivate(), CvCertificate.point(ePkCard));
            byte[] zS = EcP256.agree(eph.getPrivate(), moduleCert.publicKey());
            SessionKeys.Central k = SessionKeys.central(zE, zS);
            Arrays.fill(zE, (byte) 0);
            Arrays.fill(zS, (byte) 0);
            byte[] expected = Cmac.aes(k.receipt(), Tlv.concat(Tlv.of(Constants.TAG_EPHEMERAL_KEY, ePkCs), Tlv.of(Constants.TAG_EPHEMERAL_KEY, ePkCard)));
            if (!fullMac(expected, receipt)) throw new ModuleException("module " + moduleId + " failed key confirmation (receipt)");

            byte[] transcript = Tlv.concat(new byte[]{Constants.SIG_CONTEXT_CENTRAL}, ePkCs, ePkCard, receipt);
            byte[] sig = ca.hsm().signSha256WithEcdsa(CertificateAuthority.CENTRAL_LABEL, transcript);
            card.centralConfirm(sig);
            keys.put(moduleId, new TransactionKey(k.transaction()));
            ca.store().recordSession(moduleId, "CENTRAL_AUTH", true, null, moduleCert.chr());
            LOG.info("authenticated module {} ({})", moduleId, moduleCert.chr());
            return new Authenticated(moduleId, moduleCert);
        } catch (ModuleException | CardStatusException | TransportException e) {
            ca.store().recordSession(moduleId, "CENTRAL_AUTH", false, null, e.getMessage());
            throw e;
        }
    }

    /**
     * Claim 1: the certificate is checked: module certificate by the perso unit, whose key is
     * certified by the manufacturer and cross-certified by this central system (claim 6).
     */
    void checkModuleChain(CvCertificate moduleCert, LocalDate today) {
        CvCertificate byCentral = ca.store().latest(CvCertificate.Role.PERSO_UNIT, CertificateAuthority.CENTRAL_CHR, moduleCert.car())
                .orElseThrow(() -> new ModuleException("perso unit " + moduleCert.car() + " is not certified by this central system"));
        byCentral.check(ca.hsm().publicKey(CertificateAuthority.CENTRAL_LABEL), CertificateAuthority.CENTRAL_CHR, CvCertificate.Role.PERSO_UNIT, today);
        CvCertificate byManufacturer = ca.store().latest(CvCertificate.Role.PERSO_UNIT, CertificateAuthority.MANUFACTURER_CHR, moduleCert.car())
                .orElseThrow(() -> new ModuleException("perso unit " + moduleCert.car() + " has no manufacturer certificate"));
        byManufacturer.check(ca.manufacturerKey(), CertificateAuthority.MANUFACTURER_CHR, CvCertificate.Role.PERSO_UNIT, today);
        if (!Arrays.equals(byCentral.publicPoint(), byManufacturer.publicPoint())) throw new ModuleException("perso unit certificates name different keys");
        PublicKey persoKey = byCentral.publicKey();
        moduleCert.check(persoKey, moduleCert.car(), CvCertificate.Role.MODULE, today);
        if (moduleCert.nonce() == null) throw new ModuleException("module certificate carries no nonce");
    }

    /** A transaction under the agreed key (claim 11); returns the module's verified receipt. */
    public byte[] transact(ModuleCard card, String moduleId, byte[] payload) {
        TransactionKey tk = keys.get(moduleId);
        if (tk == null) throw new ModuleException("no agreed key with module " + moduleId + ": authenticate first");
        if (payload.length > Constants.MAX_TX_PAYLOAD) throw new ModuleException("transaction payload longer than " + Constants.MAX_TX_PAYLOAD + " bytes");
        long next = tk.counter + 1;
        byte[] data = transactionData(next, payload);
        byte[] mac = Cmac.aes(tk.key, Tlv.concat(new byte[]{Constants.MAC_CONTEXT_TX}, data));
        byte[] r = card.transaction(Tlv.concat(data, mac));
        tk.counter = next;
        byte[] expected = Cmac.aes(tk.key, Tlv.concat(new byte[]{Constants.MAC_CONTEXT_RX}, data));
        if (!fullMac(expected, r)) throw new ModuleException("transaction receipt from module " + moduleId + " does not verify");
        ca.store().recordSession(moduleId, "TRANSACTION", true, null, "counter " + next);
        return r;
    }

    /**
     * The module's receipts are full 16-byte AES-CMACs: Cmac.verify alone accepts any truncation
     * down to one byte, which a relay could guess (1/256) without the key.
     */
    static boolean fullMac(byte[] expected, byte[] received) {
        return received != null && received.length == Constants.MAC_LENGTH && Cmac.verify(expected, received);
    }

    static byte[] transactionData(long counter, byte[] payload) {
        return ByteBuffer.allocate(4 + payload.length).putInt((int) counter).put(payload).array();
    }

    public boolean hasKey(String moduleId) {
        return keys.containsKey(moduleId);
    }

    /**
     * The central system as a network service: authenticates the relayed module, agrees the
     * transaction key and runs one transaction with the HELLO's message as payload.
     */
    public ApduRelay.Handler relayHandler(java.util.function.Supplier<LocalDate> today) {
        return (hello, channel) -> {
            ModuleCard card = new ModuleCard(channel);
            Object msg = hello.get("message");
            byte[] payload = (msg == null ? "ping" : msg.toString()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Authenticated a = authenticate(card, today.get());
            byte[] receipt = transact(card, a.moduleId(), payload);
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("module", a.moduleId());
            m.put("moduleCertificate", a.moduleCertificate().chr());
            m.put("authenticated", true);
            m.put("transactionCounter", keys.get(a.moduleId()).counter);
            m.put("receipt", java.util.HexFormat.of().formatHex(receipt));
            return m;
        };
    }
}
