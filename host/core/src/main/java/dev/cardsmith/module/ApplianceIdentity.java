package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.crypto.Rng;
import dev.cardsmith.hsm.Hsm;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Claim 14 with a cryptographic identity: the appliance signs its relay HELLO with its own P-256
 * key (label {@link #KEY_LABEL} in the appliance's HSM or keystore) over "cardsmith-hello" 00 ||
 * service 00 || appliance id 00 || time (8 bytes, epoch seconds) || nonce (16). The perso unit
 * accepts it only from an appliance registered with that key ({@link ModuleStore#registerAppliance}),
 * within {@link #MAX_SKEW_SECONDS} of its own clock, and each nonce once: the HELLO's id is no
 * longer self-declared, and a recorded HELLO cannot be replayed (docs/module.md "Remote personalization").
 */
public final class ApplianceIdentity {

    public static final String KEY_LABEL = "module.appliance";
    public static final long MAX_SKEW_SECONDS = 300;
    private static final byte[] DOMAIN = "cardsmith-hello".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();

    private ApplianceIdentity() {}

    /** This appliance's public key (04||X||Y), the key pair formed in {@code hsm} on first use. */
    public static byte[] publicKey(Hsm hsm) {
        if (!hsm.contains(KEY_LABEL)) hsm.generateEcKeyPair(KEY_LABEL);
        return EcP256.encode(hsm.publicKey(KEY_LABEL));
    }

    /** The signed HELLO fields for {@code service} ("perso"), to merge into the relay HELLO. */
    public static Map<String, Object> sign(Hsm hsm, String service, String applianceId, Instant now) {
        publicKey(hsm);
        byte[] nonce = Rng.bytes(16);
        long time = now.getEpochSecond();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("appliance", applianceId);
        m.put("time", time);
        m.put("nonce", HEX.formatHex(nonce));
        m.put("signature", HEX.formatHex(hsm.signSha256WithEcdsa(KEY_LABEL, transcript(service, applianceId, time, nonce))));
        return m;
    }

    static byte[] transcript(String service, String applianceId, long time, byte[] nonce) {
        return Tlv.concat(DOMAIN, new byte[]{0}, service.getBytes(StandardCharsets.UTF_8), new byte[]{0},
                applianceId.getBytes(StandardCharsets.UTF_8), new byte[]{0}, ByteBuffer.allocate(8).putLong(time).array(), nonce);
    }

    /**
     * The perso unit's check of a HELLO: returns the appliance id it proved, or throws
     * ModuleException (unregistered, bad signature, outside the time window, nonce seen before).
     */
    public static String verify(ModuleStore store, String service, Map<String, Object> hello, Instant now) {
        Object a = hello.get("appliance");
        if (!(a instanceof String id) || id.isEmpty()) throw new ModuleException("HELLO names no appliance");
        byte[] point = store.appliancePoint(id).orElseThrow(() -> new ModuleException("appliance " + id + " is not registered with this perso unit"));
        byte[] nonce;
        byte[] sig;
        long time;
        try {
            time = ((Number) hello.get("time")).longValue();
            nonce = HEX.parseHex((String) hello.get("nonce"));
            sig = HEX.parseHex((String) hello.get("signature"));
        } catch (RuntimeException e) {
            throw new ModuleException("HELLO of appliance " + id + " is not signed");
        }
        if (nonce.length != 16) throw new ModuleException("HELLO of appliance " + id + " has a malformed nonce");
        if (!EcP256.verifyDer(CvCertificate.point(point), transcript(service, id, time, nonce), sig)) {
            throw new ModuleException("HELLO signature of appliance " + id + " does not verify");
        }
        if (Math.abs(now.getEpochSecond() - time) > MAX_SKEW_SECONDS) throw new ModuleException("HELLO of appliance " + id + " is outside the time window");
        if (!store.useHelloNonce(HEX.formatHex(nonce), id)) throw new ModuleException("HELLO of appliance " + id + " was replayed");
        return id;
    }
}
