package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.platform.Sw;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.MessageDigest;
import javacard.security.RandomData;

/**
 * What a raw RSA-2048 private-key operation may be used for. PIV hands the card raw 256-byte
 * blocks (OpenSC pads on the host), so the card itself decides what a block is:
 * <ul>
 * <li><b>Signing keys (9A, 9C, 9E)</b> sign only an EMSA-PKCS1-v1_5 block
 * {@code 00 01 FF..FF 00 DigestInfo} (at least 8 FF) whose DigestInfo is SHA-256, SHA-384 or
 * SHA-512 with NULL parameters (SHA-1 is refused), or an EMSA-PSS block (RFC 8017 9.1.1) with
 * MGF1 over the same hash, salt length = hash length, trailer BC. Anything else answers 6A80: the
 * key never computes a raw c^d for an arbitrary c (which would decrypt, or sign anything).</li>
 * <li><b>The key-management key (9D)</b> only decrypts, and never returns c^d either: it unpads
 * EME-PKCS1-v1_5 on the card and returns a freshly padded type-2 block around the message, so the
 * host's unpadding still works. A block that is not type 2 gets a synthetic message (implicit
 * rejection: 16..31 bytes of SHA-256(rejection key || ciphertext)), so every ciphertext below n
 * answers 9000 with a well-formed block: no padding oracle, and no signature from 9D.</li>
 * </ul>
 */
final class RsaPolicy {

    /** DigestInfo prefix of SHA-256; SHA-384 and SHA-512 differ at bytes 1, 14 and 18. */
    private static final byte[] SHA2_PREFIX = {
        0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, (byte) 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
    };
    private static final short PREFIX_LENGTH = 19;
    private static final short MIN_FF = 8;
    private static final byte PSS_TRAILER = (byte) 0xBC;
    private static final short REJECTION_KEY_LENGTH = 32;
    private static final short SYNTHETIC_MIN = 16;

    private final MessageDigest[] digests;
    private final RandomData random;
    /** The implicit-rejection key, random per card. */
    private final byte[] rejectionKey;

    RsaPolicy(RandomData random) {
        this.random = random;
        digests = new MessageDigest[3];
        digests[0] = MessageDigest.getInstance(MessageDigest.ALG_SHA_256, false);
        digests[1] = optionalDigest(MessageDigest.ALG_SHA_384);
        digests[2] = optionalDigest(MessageDigest.ALG_SHA_512);
        rejectionKey = new byte[REJECTION_KEY_LENGTH];
        random.generateData(rejectionKey, (short) 0, REJECTION_KEY_LENGTH);
    }

    private static MessageDigest optionalDigest(byte alg) {
        try {
            return MessageDigest.getInstance(alg, false);
        } catch (CryptoException e) {
            return null;
        }
    }

    private static short hashLength(short i) {
        return (short) (32 + 16 * i);
    }

    /** 6A80 unless b[off..off+256) is an allowed PKCS#1 v1.5 signature block or PSS encoding. */
    void requireSignatureBlock(byte[] b, short off, byte[] work, short workOff) {
        if (!isPkcs1Signature(b, off) && !isPss(b, off, work, workOff)) ISOException.throwIt(Sw.WRONG_DATA);
    }

    private static boolean isPkcs1Signature(byte[] b, short off) {
        if (b[off] != 0 || b[(short) (off + 1)] != 1) return false;
        for (short i = 0; i < 3; i++) {
            short h = hashLength(i);
            short di = (short) (Constants.RSA_BYTES - PREFIX_LENGTH - h); // where the DigestInfo starts
            short sep = (short) (off + di - 1);
            if (b[sep] != 0) continue;
            boolean ok = (short) (di - 3) >= MIN_FF;
            for (short p = (short) (off + 2); p < sep; p++) ok &= b[p] == (byte) 0xFF;
            short d = (short) (off + di);
            for (short k = 0; k < PREFIX_LENGTH; k++) {
                byte want = SHA2_PREFIX[k];
                if (k == 1) want = (byte) (17 + h);
                if (k == 14) want = (byte) (1 + i);
                if (k == 18) want = (byte) h;
                ok &= b[(short) (d + k)] == want;
            }
            if (ok) return true;
        }
        return false;
    }

    /**
     * EMSA-PSS-VERIFY's structure checks without the message (emBits 2047): trailer BC, top bit
     * clear, and for one of SHA-256/384/512 the unmasked DB = 00..00 01 || salt(hLen). Work
     * needs 132 bytes (H || counter, then one MGF1 block).
     */
    private boolean isPss(byte[] b, short off, byte[] work, short workOff) {
        if (b[(short) (off + Constants.RSA_BYTES - 1)] != PSS_TRAILER || (b[off] & (byte) 0x80) != 0) return false;
        for (short i = 0; i < 3; i++) {
            MessageDigest md = digests[i];
            if (md == null) continue;
            short h = hashLength(i);
            short dbLen = (short) (Constants.RSA_BYTES - h - 1);
            short one = (short) (dbLen - h - 1); // index of the 01 separator in DB
            short seed = workOff;
            short block = (short) (workOff + 68);
            Util.arrayCopyNonAtomic(b, (short) (off + dbLen), work, seed, h);
            Util.arrayFillNonAtomic(work, (short) (seed + h), (short) 4, (byte) 0);
            boolean ok = true;
            for (short j = 0; j <= one; j++) {
                short inBlock = (short) (j % h);
                if (inBlock == 0) {
                    work[(short) (seed + h + 3)] = (byte) (j / h); // counter (fewer than 256 blocks)
                    md.reset();
                    md.doFinal(work, seed, (short) (h + 4), work, block);
                }
                byte db = (byte) (b[(short) (off + j)] ^ work[(short) (block + inBlock)]);
                if (j == 0) db &= (byte) 0x7F;
                ok &= db == (j == one ? (byte) 1 : (byte) 0);
            }
            Util.arrayFillNonAtomic(work, workOff, (short) (68 + 64), (byte) 0);
            if (ok) return true;
        }
        return false;
    }

    /**
     * Turns the raw c^d in raw[off..off+256) into the block returned to the host: 00 02 || fresh
     * nonzero padding || 00 || M, where M is the message when raw was a type-2 block, else the
     * synthetic message for ciphertext c[cOff..cOff+256). work needs 32 bytes.
     */
    void reencode(byte[] raw, short off, byte[] c, short cOff, byte[] work, short workOff) {
        MessageDigest md = digests[0];
        md.reset();
        md.update(rejectionKey, (short) 0, REJECTION_KEY_LENGTH);
        md.doFinal(c, cOff, Constants.RSA_BYTES, work, workOff);
        // the first zero after the padding string, at index >= 10 (at least 8 nonzero bytes)
        short zero = 0;
        for (short i = (short) (Constants.RSA_BYTES - 1); i >= 2; i--) {
            if (raw[(short) (off + i)] == 0) zero = i;
        }
        boolean valid = raw[off] == 0 && raw[(short) (off + 1)] == 2 && zero >= 10;
        if (!valid) {
            short len = (short) (SYNTHETIC_MIN + (work[workOff] & 0x0F));
            zero = (short) (Constants.RSA_BYTES - 1 - len);
            Util.arrayCopyNonAtomic(work, (short) (workOff + 1), raw, (short) (off + zero + 1), len);
            raw[(short) (off + zero)] = 0;
        }
        Util.arrayFillNonAtomic(work, workOff, (short) 32, (byte) 0);
        raw[off] = 0;
        raw[(short) (off + 1)] = 2;
        short ps = (short) (off + 2);
        short end = (short) (off + zero);
        random.generateData(raw, ps, (short) (end - ps));
        for (short p = ps; p < end; p++) {
            while (raw[p] == 0) random.generateData(raw, p, (short) 1);
        }
    }
}
