package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.JdkEc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per attack on the card's key-usage rules (docs/threat-model.md, PIV section, applet half).
 * The attacker holds the PIN (malware on the PC while the card sits in the reader) and speaks raw
 * APDUs, bypassing every host-side check.
 */
class PivAttackTest {

    static final SecureRandom RND = new SecureRandom();
    PivCard piv;

    @BeforeEach
    void install() throws Exception {
        piv = new PivCard();
        PivCard.check(piv.authenticate(PivCard.MGMT));
    }

    @AfterEach
    void close() {
        piv.close();
    }

    private RSAPublicKey rsa(int keyRef) throws Exception {
        PivCard.Rsp g = piv.generate(keyRef, 0x07);
        PivCard.check(g.sw());
        return (RSAPublicKey) PivCard.rsaKey(g.data());
    }

    private static byte[] below(BigInteger n) {
        BigInteger c = new BigInteger(2047, RND).mod(n);
        byte[] b = c.toByteArray();
        byte[] out = new byte[256];
        int k = Math.min(b.length, 256);
        System.arraycopy(b, b.length - k, out, 256 - k, k);
        return out;
    }

    /** Raw c^d from a signing key would decrypt or sign anything: only PKCS#1 v1.5 DigestInfo or PSS blocks pass. */
    @Test
    void rawRsaBlockSigningOracleIsRefused() throws Exception {
        RSAPublicKey pub = rsa(0x9A);
        piv.initialise();
        for (int i = 0; i < 20; i++) {
            assertEquals(0x6A80, piv.authenticate(0x07, 0x9A, 0x81, below(pub.getModulus())).sw(), "arbitrary block");
        }
        byte[] digest = MessageDigest.getInstance("SHA-256").digest("x".getBytes());
        assertEquals(0x6A80, piv.authenticate(0x07, 0x9A, 0x81, RsaBlocks.type1(digest)).sw(), "bare hash, no DigestInfo");
        assertEquals(0x6A80, piv.authenticate(0x07, 0x9A, 0x81, RsaBlocks.type1("attacker's chosen text".getBytes())).sw());
        assertEquals(0x6A80, piv.authenticate(0x07, 0x9A, 0x81, RsaBlocks.pkcs1(new byte[20], "SHA-1")).sw(), "SHA-1 refused");
        byte[] shortPad = RsaBlocks.pkcs1(new byte[64], "SHA-512");
        shortPad[2] = 0x00; // separator too early: fewer than 8 FF
        assertEquals(0x6A80, piv.authenticate(0x07, 0x9A, 0x81, shortPad).sw());
        byte[] badLen = RsaBlocks.type1(PivCard.cat(RsaBlocks.prefix("SHA-256"), new byte[31]));
        assertEquals(0x6A80, piv.authenticate(0x07, 0x9A, 0x81, badLen).sw(), "DigestInfo length does not match the hash");
        for (String h : new String[] {"SHA-256", "SHA-384", "SHA-512"}) {
            byte[] d = MessageDigest.getInstance(h).digest("x".getBytes());
            assertEquals(0x9000, piv.authenticate(0x07, 0x9A, 0x81, RsaBlocks.pkcs1(d, h)).sw(), h);
        }
    }

    /** RSASSA-PSS (TLS 1.3, Java) still works: the card accepts a structurally valid EMSA-PSS block and the JDK verifies it. */
    @Test
    void pssEncodedBlocksAreSignedAndVerify() throws Exception {
        RSAPublicKey pub = rsa(0x9A);
        piv.initialise();
        byte[] msg = "TLS 1.3 CertificateVerify".getBytes();
        for (String h : new String[] {"SHA-256", "SHA-384", "SHA-512"}) {
            int hLen = MessageDigest.getInstance(h).getDigestLength();
            byte[] em = Pss.encode(MessageDigest.getInstance(h).digest(msg), h, hLen);
            PivCard.Rsp s = piv.authenticate(0x07, 0x9A, 0x81, em);
            assertEquals(0x9000, s.sw(), h);
            java.security.Signature v = java.security.Signature.getInstance("RSASSA-PSS");
            v.setParameter(new PSSParameterSpec(h, "MGF1", new MGF1ParameterSpec(h), hLen, 1));
            v.initVerify(pub);
            v.update(msg);
            assertTrue(v.verify(PivCard.response(s.data())), h);
            byte[] maxSalt = Pss.encode(MessageDigest.getInstance(h).digest(msg), h, 256 - hLen - 2);
            assertEquals(0x6A80, piv.authenticate(0x07, 0x9A, 0x81, maxSalt).sw(), "salt length other than the hash length");
        }
        byte[] em = Pss.encode(new byte[32], "SHA-256", 32);
        em[255] = (byte) 0xBD;
        assertEquals(0x6A80, piv.authenticate(0x07, 0x9A, 0x81, em).sw(), "trailer");
    }

    /** 9D only decrypts: a signature block sent to it never comes back as block^d (no signature from 9D). */
    @Test
    void keyManagementKeyUsedAsSigningOracleGetsNoSignature() throws Exception {
        RSAPublicKey pub = rsa(0x9D);
        piv.initialise();
        byte[] em = RsaBlocks.pkcs1(MessageDigest.getInstance("SHA-256").digest("pay 1000".getBytes()), "SHA-256");
        PivCard.Rsp r = piv.authenticate(0x07, 0x9D, 0x81, em);
        assertEquals(0x9000, r.sw());
        BigInteger back = new BigInteger(1, PivCard.response(r.data())).modPow(pub.getPublicExponent(), pub.getModulus());
        assertNotEquals(new BigInteger(1, em), back, "9D answered em^d: a signature");
        // and an EC 9D key refuses 81 (ECDSA) outright
        piv.generate(0x9D, 0x11);
        assertEquals(0x6A80, piv.authenticate(0x11, 0x9D, 0x81, new byte[32]).sw());
    }

    /** Bleichenbacher: every ciphertext below n, well padded or not, answers 9000 and a well-formed type-2 block. */
    @Test
    void bleichenbacherPaddingOracleSeesNoDifference() throws Exception {
        RSAPublicKey pub = rsa(0x9D);
        piv.initialise();
        Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        enc.init(Cipher.ENCRYPT_MODE, pub);
        byte[] good = enc.doFinal(new byte[32]);
        Set<Integer> sws = new HashSet<>();
        Set<Integer> lengths = new HashSet<>();
        for (int i = 0; i < 24; i++) {
            byte[] c = i == 0 ? good : below(pub.getModulus());
            PivCard.Rsp r = piv.authenticate(0x07, 0x9D, 0x81, c);
            sws.add(r.sw());
            byte[] block = PivCard.response(r.data());
            lengths.add(block.length);
            RsaBlocks.unpadType2(block); // throws unless 00 02 PS(>= 8) 00 M
        }
        assertEquals(Set.of(0x9000), sws);
        assertEquals(Set.of(256), lengths);
        PivCard.Rsp again = piv.authenticate(0x07, 0x9D, 0x81, good);
        assertEquals(32, RsaBlocks.unpadType2(PivCard.response(again.data())).length);
        // the synthetic message of a bad ciphertext is stable (a retry learns nothing new)
        byte[] bad = below(pub.getModulus());
        byte[] m1 = RsaBlocks.unpadType2(PivCard.response(piv.authenticate(0x07, 0x9D, 0x81, bad).data()));
        byte[] m2 = RsaBlocks.unpadType2(PivCard.response(piv.authenticate(0x07, 0x9D, 0x81, bad).data()));
        assertTrue(Arrays.equals(m1, m2));
    }

    /** Invalid-curve attack: the off-curve point (1,1) and a point from another curve get no shared secret. */
    @Test
    void invalidCurvePointIsRefusedOnCard() throws Exception {
        piv.generate(0x9D, 0x11);
        piv.initialise();
        byte[] oneOne = new byte[65];
        oneOne[0] = 4;
        oneOne[32] = 1;
        oneOne[64] = 1;
        assertEquals(0x6A80, piv.authenticate(0x11, 0x9D, 0x85, oneOne).sw());
        byte[] p = JdkEc.point(JdkEc.generate().getPublic());
        p[64] ^= 1;
        assertEquals(0x6A80, piv.authenticate(0x11, 0x9D, 0x85, p).sw(), "valid x, wrong y");
        byte[] compressed = Arrays.copyOf(JdkEc.point(JdkEc.generate().getPublic()), 33);
        compressed[0] = 2;
        assertEquals(0x6A80, piv.authenticate(0x11, 0x9D, 0x85, compressed).sw());
        assertEquals(0x6A80, piv.authenticate(0x11, 0x9D, 0x85, new byte[65]).sw(), "00..00");
    }

    /** A card fresh from the factory (default PIN 123456) signs nothing: the holder changes the PIN first. */
    @Test
    void defaultPinCannotSign() throws Exception {
        piv.generate(0x9A, 0x11);
        piv.generate(0x9E, 0x11);
        assertEquals(0x9000, piv.verify(PivCard.PIN));
        assertEquals(0x6985, piv.authenticate(0x11, 0x9A, 0x81, new byte[32]).sw());
        assertEquals(0x6985, piv.authenticate(0x11, 0x9E, 0x81, new byte[32]).sw(), "card authentication too");
        assertEquals(0x9000, piv.changePin(PivCard.PIN, PivCard.NEW_PIN));
        assertEquals(0x9000, piv.changePin(PivCard.NEW_PIN, PivCard.PIN));
        assertEquals(0x6985, piv.authenticate(0x11, 0x9E, 0x81, new byte[32]).sw(), "changed back to the default: refused again");
        piv.changePin(PivCard.PIN, PivCard.NEW_PIN);
        piv.verify(PivCard.NEW_PIN);
        assertEquals(0x9000, piv.authenticate(0x11, 0x9A, 0x81, new byte[32]).sw());
    }

    /** Session riding: once the host released the PIN (VERIFY P1=FF), another process's command is refused. */
    @Test
    void releasedPinStatusCannotBeRiddenByAnotherProcess() throws Exception {
        piv.generate(0x9A, 0x11);
        piv.initialise();
        assertEquals(0x9000, piv.authenticate(0x11, 0x9A, 0x81, new byte[32]).sw());
        assertEquals(0x9000, piv.release());
        assertEquals(0x6982, piv.authenticate(0x11, 0x9A, 0x81, new byte[32]).sw());
        assertEquals(0x6982, piv.generate(0x9A, 0x11).sw(), "the administrator status is released too");
        assertEquals(0x6A86, piv.raw(new byte[] {0, 0x20, (byte) 0xFF, (byte) 0x9B}).sw());
    }

    /** Signature key (9C): one VERIFY, one signature; malware cannot append its own signature to the user's. */
    @Test
    void signatureKeyPiggybackSignatureIsRefused() throws Exception {
        piv.generate(0x9C, 0x11);
        piv.initialise();
        assertEquals(0x9000, piv.authenticate(0x11, 0x9C, 0x81, new byte[32]).sw());
        assertEquals(0x6982, piv.authenticate(0x11, 0x9C, 0x81, new byte[32]).sw());
    }

    /** Management-key witness replay: a second answer to the same witness, or an answer with no witness, fails. */
    @Test
    void managementKeyWitnessReplayIsRefused() throws Exception {
        piv.release();
        PivCard.Rsp w = piv.send(Constants.INS_GENERAL_AUTHENTICATE, 3, 0x9B, HexFormat.of().parseHex("7C028000"));
        byte[] wrongWitness = new byte[8];
        assertEquals(0x6982, piv.send(Constants.INS_GENERAL_AUTHENTICATE, 3, 0x9B,
                PivCard.tlv(0x7C, PivCard.cat(PivCard.tlv(0x80, wrongWitness), PivCard.tlv(0x81, new byte[8])))).sw());
        assertEquals(0x6985, piv.send(Constants.INS_GENERAL_AUTHENTICATE, 3, 0x9B,
                PivCard.tlv(0x7C, PivCard.cat(PivCard.tlv(0x80, wrongWitness), PivCard.tlv(0x81, new byte[8])))).sw(), "one try per witness");
        assertFalse(w.data().length == 0);
        assertEquals(0x6982, piv.generate(0x9A, 0x11).sw());
    }
}
