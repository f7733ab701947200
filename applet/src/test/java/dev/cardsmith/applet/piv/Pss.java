package dev.cardsmith.applet.piv;

import java.security.MessageDigest;
import java.security.SecureRandom;

/** EMSA-PSS-ENCODE (RFC 8017 9.1.1) for a 2048-bit modulus (emBits 2047), MGF1 with the same hash. */
final class Pss {

    private Pss() {}

    static byte[] encode(byte[] mHash, String hash, int sLen) throws Exception {
        MessageDigest md = MessageDigest.getInstance(hash);
        int hLen = md.getDigestLength();
        int emLen = 256;
        byte[] salt = new byte[sLen];
        new SecureRandom().nextBytes(salt);
        md.update(new byte[8]);
        md.update(mHash);
        byte[] h = md.digest(salt);
        int dbLen = emLen - hLen - 1;
        byte[] db = new byte[dbLen];
        db[dbLen - sLen - 1] = 1;
        System.arraycopy(salt, 0, db, dbLen - sLen, sLen);
        byte[] mask = new byte[dbLen];
        for (int c = 0, o = 0; o < dbLen; c++) {
            md.update(h);
            byte[] b = md.digest(new byte[] {(byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c});
            int n = Math.min(b.length, dbLen - o);
            System.arraycopy(b, 0, mask, o, n);
            o += n;
        }
        byte[] em = new byte[emLen];
        for (int i = 0; i < dbLen; i++) em[i] = (byte) (db[i] ^ mask[i]);
        em[0] &= 0x7F;
        System.arraycopy(h, 0, em, dbLen, hLen);
        em[emLen - 1] = (byte) 0xBC;
        return em;
    }
}
