package dev.cardsmith.psd;

import dev.cardsmith.hsm.Hsm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.PublicKey;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The key management server and its HSM (the "second HSM", claims 15-16, 29, 32-33, 35, 38-39):
 * generates the MK data block(s), the KRK data block and the RSA key pair inside its HSM, and
 * exports them to the access server only wrapped under a one-time key-transfer key.
 */
public final class KeyManagementServer {
    private static final Logger LOG = LoggerFactory.getLogger(KeyManagementServer.class);
    private final Hsm hsm;

    public KeyManagementServer(Hsm hsm) {
        this.hsm = hsm;
    }

    /** Generates whatever is missing: MK block v1, KRK block, RSA pair (claim 29, second device). Idempotent. */
    public Map<String, Object> init() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (latestMkVersion() == 0) {
            hsm.generateAesKey(PsdKeys.kmsMkBlock(1), 128, true); // wrappable: goes to the access server (claim 16)
            out.put("mkBlock", "generated v1");
        } else {
            out.put("mkBlock", "present v" + latestMkVersion());
        }
        if (latestKrkVersion() == 0) {
            hsm.generateAesKey(PsdKeys.kmsKrkBlock(1), 128, true);
            out.put("krkBlock", "generated v1");
        } else {
            out.put("krkBlock", "present v" + latestKrkVersion());
        }
        if (!hsm.contains(PsdKeys.KMS_RSA)) {
            hsm.generateRsaKeyPair(PsdKeys.KMS_RSA, PsdKeys.RSA_BITS, true); // private key moves for post-issuance (claims 16, 35)
            out.put("rsaKeyPair", "generated " + PsdKeys.RSA_BITS + " bits");
        } else {
            out.put("rsaKeyPair", "present");
        }
        if (!hsm.contains(PsdKeys.KMS_TRANSFER_SIGNING)) {
            hsm.generateEcKeyPair(PsdKeys.KMS_TRANSFER_SIGNING);
            out.put("transferSigningKey", "generated (P-256)");
        } else {
            out.put("transferSigningKey", "present");
        }
        out.put("transferSigningKeyFingerprint", KeyTransferFile.fingerprint(transferSigningKey()));
        out.put("hsm", hsm.describe());
        LOG.info("KMS keys ready in {}", hsm.describe());
        return out;
    }

    /** A new MK data block version (claim 35: "generating a new master key data block"); returns it. */
    public int rotateMasterKeyBlock() {
        return rotate("MK", PsdKeys::kmsMkBlock);
    }

    /** A new KRK data block version (issue 12: KRK rotation; PSDs move to it with CHANGE KRK); returns it. */
    public int rotateKrkBlock() {
        return rotate("KRK", PsdKeys::kmsKrkBlock);
    }

    private int rotate(String kind, java.util.function.IntFunction<String> label) {
        int next = PsdKeys.latestVersion(hsm, label) + 1;
        if (next > 0x7F) throw new PsdException(kind + " versions exhausted (1..127)");
        hsm.generateAesKey(label.apply(next), 128, true); // wrappable: goes to the access server (claim 16)
        LOG.info("KMS generated {} data block v{}", kind, next);
        return next;
    }

    public int latestMkVersion() {
        return PsdKeys.latestVersion(hsm, PsdKeys::kmsMkBlock);
    }

    public int latestKrkVersion() {
        return PsdKeys.latestVersion(hsm, PsdKeys::kmsKrkBlock);
    }

    /** The public half of the key that signs key-transfer files (the access server pins it). */
    public PublicKey transferSigningKey() {
        return hsm.publicKey(PsdKeys.KMS_TRANSFER_SIGNING);
    }

    /**
     * The key-transfer file for the access server whose import key is {@code accessServerImportKey}:
     * {@link #export} in {@link KeyTransferFile} form, with export sequence {@code sequence}
     * (strictly increasing across files; the CLI uses the clock in milliseconds), signed by this
     * KMS's transfer signing key inside its HSM.
     */
    public byte[] exportTransferFile(PublicKey accessServerImportKey, boolean withPrivateKey, long sequence) {
        if (!hsm.contains(PsdKeys.KMS_TRANSFER_SIGNING)) throw new PsdException("KMS has no transfer signing key: run `cardsmith kms init`");
        byte[] body = KeyTransferFile.body(export(accessServerImportKey, withPrivateKey), sequence, accessServerImportKey, transferSigningKey());
        LOG.info("KMS signed key-transfer file #{}", sequence);
        return KeyTransferFile.withSignature(body, hsm.signSha256WithEcdsa(PsdKeys.KMS_TRANSFER_SIGNING, body));
    }

    public PublicKey publicKey() {
        return hsm.publicKey(PsdKeys.KMS_RSA);
    }

    /**
     * Exports every MK block, the KRK block and the public key (and with {@code withPrivateKey}
     * the private key) for the access server whose KTK import key is {@code accessServerImportKey}.
     */
    public KeyTransfer export(PublicKey accessServerImportKey, boolean withPrivateKey) {
        if (latestMkVersion() == 0 || latestKrkVersion() == 0) throw new PsdException("KMS not initialised: run `cardsmith kms init`");
        String ktk = "psd-kms-ktk-" + HexFormat.of().formatHex(hsm.generateRandom(6));
        if (hsm.contains(PsdKeys.KMS_PEER)) hsm.delete(PsdKeys.KMS_PEER);
        hsm.importPublicKey(PsdKeys.KMS_PEER, accessServerImportKey);
        hsm.generateAesKey(ktk, 256, true); // leaves only RSA-OAEP-wrapped to the access server
        try {
            byte[] wrappedKtk = hsm.wrapKey(PsdKeys.KMS_PEER, ktk);
            Map<Integer, byte[]> mk = new TreeMap<>();
            for (int v = 1; v <= latestMkVersion(); v++) mk.put(v, hsm.wrapKey(ktk, PsdKeys.kmsMkBlock(v)));
            Map<Integer, byte[]> krk = new TreeMap<>();
            for (int v = 1; v <= latestKrkVersion(); v++) krk.put(v, hsm.wrapKey(ktk, PsdKeys.kmsKrkBlock(v)));
            byte[] priv = withPrivateKey ? hsm.wrapKey(ktk, PsdKeys.KMS_RSA) : null;
            LOG.info("KMS exported {} MK block(s), {} KRK block(s){} under a fresh KTK", mk.size(), krk.size(), withPrivateKey ? ", private key" : "");
            return new KeyTransfer(wrappedKtk, mk, krk, publicKey().getEncoded(), priv);
        } finally {
            hsm.delete(ktk);
            hsm.delete(PsdKeys.KMS_PEER);
        }
    }
}
