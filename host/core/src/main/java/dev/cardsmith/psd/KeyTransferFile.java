package dev.cardsmith.psd;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The key-transfer file from the key management server to the access server (claims 16, 27,
 * 28 with the two servers on two machines; docs/psd.md "Key-transfer file"). Text, one
 * {@code name: value} per line, binary values in base64:
 *
 * <pre>
 * cardsmith-psd-key-transfer: 1            format version
 * sequence: 1765000000000                  the KMS's export sequence, strictly increasing
 * recipient: &lt;hex SHA-256&gt;                 of the access server's KTK import key (DER)
 * signer: &lt;hex SHA-256&gt;                    of the KMS signing key (DER)
 * mk-latest: 2 / krk-latest: 1             newest versions inside
 * ktk: …                                   AES-256 KTK, RSA-OAEP under the recipient's import key
 * mk.1: … mk.2: … krk.1: …                 data blocks, RFC 3394 under the KTK
 * public-key: …                            KMS RSA public key (X.509)
 * private-key: …                           optional: KMS RSA private key, RFC 5649 under the KTK
 * signature: …                             ECDSA P-256 / SHA-256 by the KMS over every byte before this line
 * </pre>
 *
 * Pure encoding and parsing; who signs and who checks is {@link KeyManagementServer} and
 * {@link AccessServer#importTransferFile}.
 */
public final class KeyTransferFile {
    public static final int FORMAT = 1;
    static final String MAGIC = "cardsmith-psd-key-transfer";
    private static final String SIGNATURE = "signature";
    private static final Pattern LINE = Pattern.compile("[a-z0-9.-]+: [A-Za-z0-9+/=]+");

    /** A parsed file: its fields, the signed bytes and the signature (not yet verified). */
    public record Parsed(int format, long sequence, String recipient, String signer, int mkLatest, int krkLatest,
                         KeyTransfer transfer, byte[] signedBytes, byte[] signature) {}

    private KeyTransferFile() {}

    /** The body to sign (everything up to the signature line). */
    static byte[] body(KeyTransfer t, long sequence, PublicKey recipient, PublicKey signer) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put(MAGIC, Integer.toString(FORMAT));
        f.put("sequence", Long.toString(sequence));
        f.put("recipient", fingerprint(recipient));
        f.put("signer", fingerprint(signer));
        f.put("mk-latest", Integer.toString(latest(t.wrappedMkBlocks())));
        f.put("krk-latest", Integer.toString(latest(t.wrappedKrkBlocks())));
        f.put("ktk", b64(t.wrappedKtk()));
        t.wrappedMkBlocks().forEach((v, b) -> f.put("mk." + v, b64(b)));
        t.wrappedKrkBlocks().forEach((v, b) -> f.put("krk." + v, b64(b)));
        f.put("public-key", b64(t.publicKey()));
        if (t.includesPrivateKey()) f.put("private-key", b64(t.wrappedPrivateKey()));
        StringBuilder sb = new StringBuilder();
        f.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] withSignature(byte[] body, byte[] signature) {
        return concat(body, (SIGNATURE + ": " + b64(signature) + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** Parses (strictly: known names, each once, in a valid shape); refuses a file without a signature line. */
    public static Parsed parse(byte[] file) {
        String text = new String(file, StandardCharsets.US_ASCII);
        int sig = text.lastIndexOf("\n" + SIGNATURE + ": ");
        if (!text.startsWith(MAGIC + ": ")) throw new PsdException("not a cardsmith PSD key-transfer file");
        if (sig < 0) throw new PsdException("key-transfer file is not signed");
        byte[] signed = text.substring(0, sig + 1).getBytes(StandardCharsets.US_ASCII);
        Map<String, String> f = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (!LINE.matcher(line).matches()) throw new PsdException("malformed line in the key-transfer file");
            String[] kv = line.split(": ", 2);
            if (f.put(kv[0], kv[1]) != null) throw new PsdException("duplicate field '" + kv[0] + "' in the key-transfer file");
        }
        try {
            int format = Integer.parseInt(req(f, MAGIC));
            Map<Integer, byte[]> mk = new TreeMap<>();
            Map<Integer, byte[]> krk = new TreeMap<>();
            for (Map.Entry<String, String> e : f.entrySet()) {
                if (e.getKey().startsWith("mk.")) mk.put(Integer.parseInt(e.getKey().substring(3)), unb64(e.getValue()));
                else if (e.getKey().startsWith("krk.")) krk.put(Integer.parseInt(e.getKey().substring(4)), unb64(e.getValue()));
            }
            String priv = f.get("private-key");
            KeyTransfer t = new KeyTransfer(unb64(req(f, "ktk")), mk, krk, unb64(req(f, "public-key")), priv == null ? null : unb64(priv));
            return new Parsed(format, Long.parseLong(req(f, "sequence")), req(f, "recipient"), req(f, "signer"),
                    Integer.parseInt(req(f, "mk-latest")), Integer.parseInt(req(f, "krk-latest")), t, signed, unb64(req(f, SIGNATURE)));
        } catch (IllegalArgumentException e) {
            throw new PsdException("malformed key-transfer file: " + e.getMessage());
        }
    }

    /** Whether {@code signature} is the ECDSA/SHA-256 signature of {@code data} under {@code key}. */
    static boolean verify(PublicKey key, byte[] data, byte[] signature) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Hex SHA-256 of a public key's X.509 encoding. */
    public static String fingerprint(PublicKey key) {
        try {
            return dev.cardsmith.crypto.Hex.of(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A public key as PEM ("PUBLIC KEY", X.509 SubjectPublicKeyInfo), for the files the operators carry between the servers. */
    public static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    /** Reads {@link #pem} output; {@code algorithm} "RSA" (import key) or "EC" (signing key). */
    public static PublicKey fromPem(String pem, String algorithm) {
        String b = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "").replaceAll("\\s", "");
        try {
            return java.security.KeyFactory.getInstance(algorithm).generatePublic(new java.security.spec.X509EncodedKeySpec(Base64.getDecoder().decode(b)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new PsdException("not a PEM " + algorithm + " public key");
        }
    }

    static int latest(Map<Integer, byte[]> blocks) {
        return blocks.keySet().stream().max(Integer::compare).orElse(0);
    }

    private static String req(Map<String, String> f, String name) {
        String v = f.get(name);
        if (v == null) throw new PsdException("key-transfer file has no '" + name + "'");
        return v;
    }

    private static String b64(byte[] b) { return Base64.getEncoder().encodeToString(b); }

    private static byte[] unb64(String s) { return Base64.getDecoder().decode(s); }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
