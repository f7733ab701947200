package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.hsm.Hsm;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The perso unit issues one-time transaction numbers for a module (claims 13, 17): 8 random
 * decimal digits each, returned once in clear for the letter to the user. The store keeps only
 * a salt and AES-CMAC(K_tan, "cardsmith-tan" 00 || module id 00 || salt || TAN) under the HSM
 * key {@link CertificateAuthority#TAN_KEY_LABEL}: without the HSM a copy of the database gives
 * no way to test a guess (docs/module.md "TANs").
 */
public final class TanIssuer {

    public static final int DIGITS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] DOMAIN = "cardsmith-tan".getBytes(StandardCharsets.US_ASCII);
    private final CertificateAuthority ca;

    public TanIssuer(CertificateAuthority ca) {
        this.ca = ca;
    }

    public List<String> issue(String moduleId, int count) {
        if (count < 1 || count > 100) throw new ModuleException("TAN count must be 1-100");
        ca.ensureTanKey();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder b = new StringBuilder();
            for (int d = 0; d < DIGITS; d++) b.append((char) ('0' + RANDOM.nextInt(10)));
            String tan = b.toString();
            ca.store().addTan(moduleId, salt -> hash(ca.hsm(), moduleId, salt, tan));
            out.add(tan);
        }
        return out;
    }

    /** The stored form of a TAN (16 bytes): computed inside the HSM, never without it. */
    static byte[] hash(Hsm hsm, String moduleId, byte[] salt, String tan) {
        byte[] id = moduleId.getBytes(StandardCharsets.US_ASCII);
        return hsm.aesCmac(CertificateAuthority.TAN_KEY_LABEL,
                Tlv.concat(DOMAIN, new byte[]{0}, id, new byte[]{0}, salt, tan.getBytes(StandardCharsets.US_ASCII)));
    }
}
