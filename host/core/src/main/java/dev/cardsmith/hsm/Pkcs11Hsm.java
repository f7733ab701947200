package dev.cardsmith.hsm;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.jce.spec.ECNamedCurveParameterSpec;
import org.bouncycastle.jce.spec.ECPublicKeySpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import dev.cardsmith.crypto.Sp800108;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.PKCS11Token;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.TokenException;
import org.xipki.pkcs11.wrapper.params.ECDH1_DERIVE_PARAMS;
import org.xipki.pkcs11.wrapper.params.RSA_PKCS_OAEP_PARAMS;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.*;

/**
 * The PKCS#11 back end through org.xipki:ipkcs11wrapper (the JDK's SunPKCS11 has no AES-CMAC,
 * no OAEP wrapping and no key-derivation API). Tested against SoftHSM2 2.6.
 *
 * <p>Key policy: persistent keys are token objects, {@code CKA_SENSITIVE=true} and private;
 * keys that never leave (transport keys, key-transfer private keys, imported keys) are
 * {@code CKA_EXTRACTABLE=false}; keys that must reach another HSM or a card (the key-management
 * data blocks, per-PSD diversified keys) are extractable <em>only wrapped</em> (sensitive, so
 * {@code C_GetAttributeValue(CKA_VALUE)} fails). Every key that can unwrap carries
 * {@code CKA_UNWRAP_TEMPLATE = {CKA_SENSITIVE=true}}, so no wrap/unwrap round trip turns a key
 * non-sensitive (keys created before that rule lack the template: regenerate them). Wrapping, unwrapping, RSA-OAEP and AES-CMAC run
 * inside the token ({@code C_WrapKey}, {@code C_UnwrapKey}, {@code C_Encrypt/C_Decrypt},
 * {@code C_Sign} with {@code CKM_AES_CMAC}).
 *
 * <p>Limitation of PKCS#11 v2.40 (SoftHSM2): there is no SP 800-108 derive mechanism
 * ({@code CKM_SP800_108_COUNTER_KDF} is PKCS#11 3.0). {@link #deriveAesKey} therefore runs the
 * KDF's PRF inside the token ({@code C_Sign(CKM_AES_CMAC)} per block), creates the result as a
 * sensitive session object ({@code C_CreateObject}) and wipes the host copy at once. On a
 * PKCS#11 3.0 HSM replace the body by one {@code C_DeriveKey(CKM_SP800_108_COUNTER_KDF)}.
 *
 * <p>Spec: {@code pkcs11:library=/usr/lib/softhsm/libsofthsm2.so;token=LABEL} (or {@code slot=N}
 * instead of token). The PIN is passed separately.
 */
public final class Pkcs11Hsm implements Hsm {

    private static final Logger LOG = LoggerFactory.getLogger(Pkcs11Hsm.class);
    /** DER OID of secp256r1 (CKA_EC_PARAMS). */
    private static final byte[] P256_OID = {0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x03, 0x01, 0x07};

    /** One C_Initialize per library per JVM, shared by every token opened from it. */
    private static final Map<String, PKCS11Module> MODULES = new HashMap<>();
    private static final Map<String, Integer> MODULE_USERS = new HashMap<>();

    private final String library;
    private final String tokenLabel;
    private final PKCS11Token token;
    private boolean closed;

    private Pkcs11Hsm(String library, String tokenLabel, PKCS11Token token) {
        this.library = library;
        this.tokenLabel = tokenLabel;
        this.token = token;
    }

    /** Parses {@code pkcs11:library=…;token=…|slot=…} and logs in as user with {@code pin}. */
    public static Pkcs11Hsm open(String spec, char[] pin) {
        Map<String, String> p = parseSpec(spec);
        String lib = p.get("library");
        if (lib == null) throw new HsmException("PKCS#11 spec needs library=…: " + spec);
        if (!java.nio.file.Files.exists(java.nio.file.Path.of(lib))) throw new HsmException("PKCS#11 library not found: " + lib);
        String tokenName = p.get("token");
        String slotIndex = p.get("slot");
        PKCS11Module module = module(lib);
        try {
            Slot chosen = null;
            for (Slot s : module.getSlotList(true)) {
                String label = s.getToken().getTokenInfo().getLabel().trim();
                if (tokenName != null ? label.equals(tokenName) : (slotIndex == null || Long.parseLong(slotIndex) == s.getSlotID())) {
                    chosen = s;
                    break;
                }
            }
            if (chosen == null) throw new HsmException("no PKCS#11 token " + (tokenName != null ? "'" + tokenName + "'" : "in slot " + slotIndex) + " in " + lib);
            PKCS11Token t = new PKCS11Token(chosen.getToken(), false, pin);
            return new Pkcs11Hsm(lib, tokenName != null ? tokenName : chosen.getToken().getTokenInfo().getLabel().trim(), t);
        } catch (TokenException e) {
            release(lib);
            throw new HsmException("cannot open PKCS#11 token " + (tokenName != null ? "'" + tokenName + "'" : "") + ": " + e.getMessage());
        } catch (RuntimeException e) {
            release(lib);
            throw e;
        }
    }

    static Map<String, String> parseSpec(String spec) {
        if (!spec.startsWith("pkcs11:")) throw new HsmException("not a pkcs11: spec");
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : spec.substring("pkcs11:".length()).split(";")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq <= 0) throw new HsmException("bad PKCS#11 spec element '" + part + "' (expected name=value)");
            String key = part.substring(0, eq).trim();
            if (key.equalsIgnoreCase("pin")) throw new HsmException("the PIN never goes into the spec; use --hsm-pin or CARDSMITH_KEYSTORE_PASSWORD");
            m.put(key, part.substring(eq + 1).trim());
        }
        return m;
    }

    /**
     * ipkcs11wrapper prints to stdout unless given a logger (that would corrupt --json output):
     * route it to SLF4J "org.xipki.pkcs11", its chatty INFO demoted to DEBUG. At DEBUG the wrapper
     * masks CKA_VALUE and the RSA private components of templates itself.
     */
    private static final class Slf4jBridge implements org.xipki.pkcs11.wrapper.Logger {
        private final Logger log = LoggerFactory.getLogger("org.xipki.pkcs11");
        @Override public void info(String f, Object... a) { log.debug(f, a); }
        @Override public void warn(String f, Object... a) { log.warn(f, a); }
        @Override public void error(String f, Object... a) { log.error(f, a); }
        @Override public void debug(String f, Object... a) { log.debug(f, a); }
        @Override public void trace(String f, Object... a) { log.trace(f, a); }
        @Override public boolean isDebugEnabled() { return log.isDebugEnabled(); }
        @Override public boolean isInfoEnabled() { return log.isDebugEnabled(); }
        @Override public boolean isWarnEnabled() { return log.isWarnEnabled(); }
        @Override public boolean isTraceEnabled() { return log.isTraceEnabled(); }
    }

    private static synchronized PKCS11Module module(String lib) {
        org.xipki.pkcs11.wrapper.StaticLogger.setLogger(new Slf4jBridge());
        PKCS11Module m = MODULES.get(lib);
        if (m == null) {
            try {
                m = PKCS11Module.getInstance(lib);
                m.initialize();
            } catch (IOException | TokenException e) {
                throw new HsmException("cannot load PKCS#11 library " + lib + ": " + e.getMessage(), e);
            }
            MODULES.put(lib, m);
        }
        MODULE_USERS.merge(lib, 1, Integer::sum);
        return m;
    }

    private static synchronized void release(String lib) {
        Integer n = MODULE_USERS.merge(lib, -1, Integer::sum);
        if (n != null && n <= 0) {
            MODULE_USERS.remove(lib);
            PKCS11Module m = MODULES.remove(lib);
            if (m != null) {
                try {
                    m.finalize(null);
                } catch (TokenException e) {
                    LOG.debug("C_Finalize failed: {}", e.getMessage());
                }
            }
        }
    }

    @Override
    public String describe() {
        return "pkcs11:library=" + library + ";token=" + tokenLabel;
    }

    // ---------------------------------------------------------------- lookup

    private long find(String label, long objectClass) {
        try {
            long[] h = token.findObjects(new AttributeVector().class_(objectClass).label(label), 2);
            if (h.length > 1) throw new HsmException("label '" + label + "' is ambiguous in " + describe());
            return h.length == 0 ? -1 : h[0];
        } catch (TokenException e) {
            throw new HsmException("cannot search '" + label + "': " + e.getMessage());
        }
    }

    private long secret(String label) {
        long h = find(label, CKO_SECRET_KEY);
        if (h < 0) throw new HsmException("no secret key '" + label + "' in " + describe());
        return h;
    }

    private long privateKey(String label) {
        long h = find(label, CKO_PRIVATE_KEY);
        if (h < 0) throw new HsmException("no private key '" + label + "' in " + describe());
        return h;
    }

    private long publicKeyHandle(String label) {
        long h = find(label, CKO_PUBLIC_KEY);
        if (h < 0) throw new HsmException("no public key '" + label + "' in " + describe());
        return h;
    }

    @Override
    public synchronized boolean contains(String label) {
        return find(label, CKO_SECRET_KEY) >= 0 || find(label, CKO_PRIVATE_KEY) >= 0 || find(label, CKO_PUBLIC_KEY) >= 0;
    }

    private void requireAbsent(String label) {
        if (contains(label)) throw new HsmException("key '" + label + "' already exists in " + describe());
    }

    private static byte[] id(String label) {
        return label.getBytes(StandardCharsets.UTF_8);
    }

    private static AttributeVector aesTemplate(String label, boolean persistent, boolean extractable) {
        return AttributeVector.newAESSecretKey().label(label).id(id(label)).token(persistent).private_(true)
                .sensitive(true).extractable(extractable).sign(true).verify(true)
                .encrypt(false).decrypt(false).wrap(true).unwrap(true).derive(false)
                .unwrapTemplate(sensitiveOnly());
    }

    /**
     * CKA_UNWRAP_TEMPLATE of every key that can unwrap: what it unwraps is sensitive. Without it
     * the PIN holder reads any extractable key in clear: C_WrapKey it under a wrap+unwrap key,
     * C_UnwrapKey the blob with CKA_SENSITIVE=false, C_GetAttributeValue(CKA_VALUE).
     */
    private static AttributeVector sensitiveOnly() {
        return new AttributeVector().sensitive(true);
    }

    // ---------------------------------------------------------------- generation / import

    @Override
    public synchronized void generateAesKey(String label, int bits) {
        generateAesKey(label, bits, false);
    }

    @Override
    public synchronized void generateAesKey(String label, int bits, boolean wrappable) {
        requireAbsent(label);
        try {
            token.generateKey(new Mechanism(CKM_AES_KEY_GEN), aesTemplate(label, true, wrappable).valueLen(bits / 8));
        } catch (TokenException e) {
            throw new HsmException("cannot generate AES key '" + label + "': " + e.getMessage());
        }
    }

    @Override
    public synchronized PublicKey generateEcKeyPair(String label) {
        return generateEc(label, true, false);
    }

    /** A P-256 pair: a token object or a session object; for ECDSA, or for ECDH (CKA_DERIVE). */
    private PublicKey generateEc(String label, boolean persistent, boolean keyAgreement) {
        requireAbsent(label);
        try {
            KeyPairTemplate t = new KeyPairTemplate(CKK_EC).token(persistent).labels(label).id(id(label));
            if (keyAgreement) t.derive(true);
            else t.signVerify(true);
            t.publicKey().ecParams(P256_OID);
            t.privateKey().sensitive(true).extractable(false).private_(true);
            token.generateKeyPair(new Mechanism(CKM_EC_KEY_PAIR_GEN), t);
        } catch (TokenException e) {
            throw new HsmException("cannot generate key pair '" + label + "': " + e.getMessage());
        }
        return publicKey(label);
    }

    @Override
    public synchronized PublicKey generateRsaKeyPair(String label, int bits, boolean wrappable) {
        requireAbsent(label);
        try {
            KeyPairTemplate t = new KeyPairTemplate(CKK_RSA).token(true).labels(label).id(id(label)).decryptEncrypt(true).unwrapWrap(true);
            t.publicKey().modulusBits(bits).publicExponent(BigInteger.valueOf(65537));
            t.privateKey().sensitive(true).extractable(wrappable).private_(true).unwrapTemplate(sensitiveOnly());
            PKCS11KeyPair kp = token.generateKeyPair(new Mechanism(CKM_RSA_PKCS_KEY_PAIR_GEN), t);
            LOG.debug("generated RSA key pair {} (handles {}/{})", label, kp.getPublicKey(), kp.getPrivateKey());
        } catch (TokenException e) {
            throw new HsmException("cannot generate RSA key pair '" + label + "': " + e.getMessage());
        }
        return publicKey(label);
    }

    @Override
    public synchronized PublicKey publicKey(String label) {
        long h = publicKeyHandle(label);
        try {
            AttributeVector a = token.getAttrValues(h, CKA_KEY_TYPE, CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_EC_POINT);
            if (a.keyType() == CKK_RSA) {
                return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(a.modulus(), a.publicExponent()));
            }
            byte[] point = a.ecPoint();
            // CKA_EC_POINT is a DER OCTET STRING holding the uncompressed point
            byte[] raw = point[0] == 0x04 && point.length == 65 ? point : ASN1OctetString.getInstance(point).getOctets();
            ECNamedCurveParameterSpec spec = ECNamedCurveTable.getParameterSpec("secp256r1");
            return KeyFactory.getInstance("EC", new BouncyCastleProvider()).generatePublic(new ECPublicKeySpec(spec.getCurve().decodePoint(raw), spec));
        } catch (TokenException | GeneralSecurityException e) {
            throw new HsmException("cannot read public key '" + label + "': " + e.getMessage());
        }
    }

    @Override
    public synchronized void importPublicKey(String label, PublicKey key) {
        requireAbsent(label);
        if (!(key instanceof RSAPublicKey rsa)) throw new HsmException("only RSA public keys can be imported into " + describe());
        try {
            token.createObject(AttributeVector.newRSAPublicKey().label(label).id(id(label)).token(true).private_(false)
                    .modulus(rsa.getModulus()).publicExponent(rsa.getPublicExponent()).encrypt(true).wrap(true).verify(false));
        } catch (TokenException e) {
            throw new HsmException("cannot import public key '" + label + "': " + e.getMessage());
        }
    }

    @Override
    public synchronized void importAesKey(String label, byte[] value) {
        requireAbsent(label);
        try {
            token.createObject(aesTemplate(label, true, false).value(value));
        } catch (TokenException e) {
            throw new HsmException("cannot import AES key '" + label + "': " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- operations

    @Override
    public synchronized byte[] signSha256WithEcdsa(String label, byte[] data) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(data);
            byte[] rs = token.sign(new Mechanism(CKM_ECDSA), privateKey(label), digest);
            int n = rs.length / 2;
            return new DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {
                new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(rs, 0, n))),
                new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(rs, n, rs.length)))}).getEncoded();
        } catch (TokenException | GeneralSecurityException | IOException e) {
            throw new HsmException("cannot sign with '" + label + "': " + e.getMessage());
        }
    }

    @Override
    public synchronized byte[] aesCmac(String label, byte[] data) {
        try {
            return token.sign(new Mechanism(CKM_AES_CMAC), secret(label), data);
        } catch (TokenException e) {
            throw new HsmException("cannot CMAC with '" + label + "': " + e.getMessage());
        }
    }

    @Override
    public synchronized byte[] generateRandom(int bytes) {
        try {
            return token.generateRandom(bytes);
        } catch (TokenException e) {
            throw new HsmException("C_GenerateRandom failed: " + e.getMessage());
        }
    }

    private static Mechanism oaep() {
        return new Mechanism(CKM_RSA_PKCS_OAEP, new RSA_PKCS_OAEP_PARAMS(CKM_SHA_1, CKG_MGF1_SHA1));
    }

    @Override
    public synchronized byte[] rsaOaepEncrypt(String label, byte[] data) {
        try {
            return token.encrypt(oaep(), publicKeyHandle(label), data);
        } catch (TokenException e) {
            throw new HsmException("cannot RSA-OAEP encrypt under '" + label + "': " + e.getMessage());
        }
    }

    @Override
    public synchronized byte[] rsaOaepDecrypt(String label, byte[] cryptogram) {
        try {
            return token.decrypt(oaep(), privateKey(label), cryptogram);
        } catch (TokenException e) {
            throw new HsmException("cannot RSA-OAEP decrypt with '" + label + "' (wrong key or corrupt cryptogram)");
        }
    }

    @Override
    public synchronized void deriveAesKey(String masterLabel, byte[] label, byte[] context, String targetLabel) {
        requireAbsent(targetLabel);
        long master = secret(masterLabel);
        // SP 800-108 counter mode, L = 128: a single PRF block [1]_32 || fixed input, computed in the token.
        byte[] fixed = Sp800108.fixedInput(label, context, 16);
        byte[] block = new byte[4 + fixed.length];
        block[3] = 1;
        System.arraycopy(fixed, 0, block, 4, fixed.length);
        byte[] derived = null;
        try {
            derived = token.sign(new Mechanism(CKM_AES_CMAC), master, block);
            token.createObject(aesTemplate(targetLabel, false, true).value(derived));
        } catch (TokenException e) {
            throw new HsmException("cannot derive '" + targetLabel + "' from '" + masterLabel + "': " + e.getMessage());
        } finally {
            if (derived != null) Arrays.fill(derived, (byte) 0);
        }
    }

    @Override
    public synchronized byte[] wrapKey(String wrappingLabel, String keyLabel) {
        try {
            long kek = find(wrappingLabel, CKO_SECRET_KEY);
            long key = find(keyLabel, CKO_SECRET_KEY);
            if (kek >= 0) {
                if (key >= 0) return token.wrapKey(new Mechanism(CKM_AES_KEY_WRAP), kek, key);
                return token.wrapKey(new Mechanism(CKM_AES_KEY_WRAP_PAD), kek, privateKey(keyLabel));
            }
            if (key < 0) throw new HsmException("no secret key '" + keyLabel + "' in " + describe());
            return token.wrapKey(oaep(), publicKeyHandle(wrappingLabel), key);
        } catch (TokenException e) {
            throw new HsmException("cannot wrap '" + keyLabel + "' under '" + wrappingLabel + "': " + e.getMessage());
        }
    }

    @Override
    public synchronized void unwrapKey(String unwrappingLabel, byte[] wrapped, String targetLabel, KeyKind kind, boolean persistent) {
        requireAbsent(targetLabel);
        try {
            long kek = find(unwrappingLabel, CKO_SECRET_KEY);
            if (kind == KeyKind.AES) {
                // persistent unwrapped keys (transferred blocks) never leave this HSM again
                AttributeVector t = aesTemplate(targetLabel, persistent, !persistent);
                if (kek >= 0) token.unwrapKey(new Mechanism(CKM_AES_KEY_WRAP), kek, wrapped, t);
                else token.unwrapKey(oaep(), privateKey(unwrappingLabel), wrapped, t);
                return;
            }
            if (kek < 0) throw new HsmException("private keys unwrap only under an AES key");
            AttributeVector t = AttributeVector.newRSAPrivateKey().label(targetLabel).id(id(targetLabel)).token(persistent)
                    .private_(true).sensitive(true).extractable(!persistent).decrypt(true).unwrap(true).sign(false)
                    .unwrapTemplate(sensitiveOnly());
            long priv = token.unwrapKey(new Mechanism(CKM_AES_KEY_WRAP_PAD), kek, wrapped, t);
            AttributeVector a = token.getAttrValues(priv, CKA_MODULUS, CKA_PUBLIC_EXPONENT);
            token.createObject(AttributeVector.newRSAPublicKey().label(targetLabel).id(id(targetLabel)).token(persistent)
                    .private_(false).modulus(a.modulus()).publicExponent(a.publicExponent()).encrypt(true).wrap(true).verify(false));
        } catch (TokenException e) {
            throw new HsmException("cannot unwrap into '" + targetLabel + "' with '" + unwrappingLabel + "' (wrong key or corrupt data)");
        }
    }

    @Override
    public synchronized PublicKey generateEcdhKeyPair(String label, boolean persistent) {
        return generateEc(label, persistent, true);
    }

    @Override
    public synchronized byte[] ecdh(String label, byte[] peerPoint) {
        try {
            dev.cardsmith.crypto.EcP256.checkPoint(peerPoint);
        } catch (IllegalArgumentException e) {
            throw new HsmException("ECDH with '" + label + "': " + e.getMessage());
        }
        long derived = -1;
        try {
            // a session object, readable only to hand Z to the caller's KDF, destroyed at once
            AttributeVector z = AttributeVector.newSecretKey(CKK_GENERIC_SECRET).token(false).sensitive(false).extractable(true).valueLen(32);
            derived = token.deriveKey(new Mechanism(CKM_ECDH1_DERIVE, new ECDH1_DERIVE_PARAMS(CKD_NULL, null, peerPoint)), privateKey(label), z);
            return token.getAttrValues(derived, CKA_VALUE).value();
        } catch (TokenException e) {
            throw new HsmException("cannot run ECDH with '" + label + "': " + e.getMessage());
        } finally {
            if (derived >= 0) {
                try {
                    token.destroyObject(derived);
                } catch (TokenException e) {
                    LOG.warn("cannot destroy the ECDH session object: {}", e.getMessage());
                }
            }
        }
    }

    @Override
    public synchronized void delete(String label) {
        try {
            for (long cls : new long[] {CKO_SECRET_KEY, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
                for (long h : token.findAllObjects(new AttributeVector().class_(cls).label(label))) token.destroyObject(h);
            }
        } catch (TokenException e) {
            throw new HsmException("cannot delete '" + label + "': " + e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            token.logout();
        } catch (TokenException e) {
            LOG.debug("logout failed: {}", e.getMessage());
        }
        token.closeAllSessions();
        release(library);
    }

    /** For tests: whether the token reports the key's CKA_VALUE as unreadable (sensitive). */
    synchronized boolean valueUnreadable(String label) {
        long h = find(label, CKO_SECRET_KEY);
        if (h < 0) h = privateKey(label);
        try {
            AttributeVector a = token.getAttrValues(h, CKA_SENSITIVE, CKA_VALUE);
            return Boolean.TRUE.equals(a.sensitive()) && a.value() == null;
        } catch (TokenException e) {
            return true;
        }
    }

    /** Whether the key is extractable (wrappable) at all. */
    synchronized boolean extractable(String label) {
        long h = find(label, CKO_SECRET_KEY);
        if (h < 0) h = privateKey(label);
        try {
            return Boolean.TRUE.equals(token.getAttrValues(h, CKA_EXTRACTABLE).extractable());
        } catch (TokenException e) {
            throw new HsmException(e.getMessage());
        }
    }

    static {
        // referenced to keep the import list honest for readers: the ECDSA OID we put in CKA_EC_PARAMS
        assert X9ObjectIdentifiers.prime256v1.getId().equals("1.2.840.10045.3.1.7");
    }
}
