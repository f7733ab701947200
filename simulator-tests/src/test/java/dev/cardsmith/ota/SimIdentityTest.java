package dev.cardsmith.ota;

import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.ota.terminal.Terminal;
import dev.cardsmith.ota.terminal.TerminalException;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Cipher;
import javax.smartcardio.CommandAPDU;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The EC variant of the trust model: the SIM proves itself to the terminal (docs/ota.md §2.1,
 * "SIM identity") with a key the operator certified, before the terminal accepts a trust key.
 */
@CardTest
class SimIdentityTest extends OtaFixtureTest {

    /**
     * A fake card (a PC pretending to be the SIM, or a SIM of another operator) in front of an
     * EC-enrolled terminal: it answers "initialized, EC", does the ECDH with the terminal's
     * ephemeral key and hands over a trust key of its choosing. It even signs the transcript with a
     * key certified by a CA of its own. Without the operator's certificate the terminal must refuse.
     */
    @Test
    void attack_fakeSimWithoutTheOperatorCertificateHandsTheTerminalATrustKey() {
        Terminal.enrolEc(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        pinOperatorCa();
        FakeSim fake = new FakeSim(EcP256.generate(), EcP256.generate(), null);
        Terminal t = new Terminal(new CardSession(new SimReviewTest.Scripted(fake)), f.ks);
        assertThrows(TerminalException.class, () -> t.authenticate(false, OtaFixture.TODAY),
                "the terminal took a trust key from a card the operator never certified");
        assertEquals(-1, f.ks.intAttr("pendingGen", -1), "no trust key of the fake card is kept");
        assertNull(f.ks.secret("enc-1"));
    }

    /** The terminal pins the operator's CA (the network provisions it with the terminal's characteristics). */
    private void pinOperatorCa() {
        Terminal.pinOperatorCa(f.ks, f.server.operatorCa());
    }

    /** A card that copies the genuine SIM's point and certificate but not its private key. */
    @Test
    void attack_fakeSimReplayingTheGenuineSimsCertificate() {
        byte[] pub = f.enrolEc();
        assertTrue(f.send(f.server.initTrustEc(OtaFixture.SIM, pub, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)).compact().ok());
        f.card.select(OtaServer.simAid());
        byte[] genuine = new SimCard(f.card).simCertificate();
        FakeSim fake = new FakeSim(EcP256.generate(), null, Arrays.copyOfRange(genuine, 65, genuine.length)) {
            @Override byte[] simPoint() { return Arrays.copyOf(genuine, 65); }
        };
        Terminal t = new Terminal(new CardSession(new SimReviewTest.Scripted(fake)), f.ks);
        TerminalException e = assertThrows(TerminalException.class, () -> t.authenticate(false, OtaFixture.TODAY));
        assertTrue(e.getMessage().contains("signature"), e.getMessage());
        assertEquals(-1, f.ks.intAttr("pendingGen", -1));
        // the genuine SIM is accepted by the same terminal
        assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered());
    }

    @Test
    void terminalWithoutAPinnedOperatorCaRefusesTheEcVariant() {
        byte[] pub = Terminal.enrolEc(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        f.certifySim();
        assertTrue(f.send(f.server.initTrustEc(OtaFixture.SIM, pub, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)).compact().ok());
        TerminalException e = assertThrows(TerminalException.class, () -> f.terminal.authenticate(false, OtaFixture.TODAY));
        assertTrue(e.getMessage().contains("operator CA"), e.getMessage());
        // another operator's CA pinned: the genuine SIM's certificate does not verify either
        Terminal.pinOperatorCa(f.ks, EcP256.encode(EcP256.generate().getPublic()));
        assertTrue(assertThrows(TerminalException.class, () -> f.terminal.authenticate(false, OtaFixture.TODAY)).getMessage()
                .contains("not the operator's"));
        pinOperatorCa();
        assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered());
    }

    @Test
    void uncertifiedSimShowsNoCertificate_andTheTerminalRefusesIt() {
        byte[] pub = Terminal.enrolEc(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        pinOperatorCa();
        assertTrue(f.send(f.server.initTrustEc(OtaFixture.SIM, pub, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)).compact().ok());
        f.card.select(OtaServer.simAid());
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.card.transmit(new CommandAPDU(0x80, Constants.INS_GET_SIM_CERTIFICATE, 0, 0, 256)).getSW());
        assertTrue(assertThrows(TerminalException.class, () -> f.terminal.authenticate(false, OtaFixture.TODAY)).getMessage()
                .contains("no operator certificate"));
    }

    @Test
    void simKeyCommandChecks() {
        byte[] cert = new byte[] {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
        // the certificate is set only in a ciphered, checksummed packet; read works in any secured packet
        OtaServer plain = f.server;
        assertEquals(Sw.WRONG_DATA, f.send(plain.prepare(OtaFixture.SIM, "sim-cert",
                RemoteCommands.create().simCertificate(new byte[] {0x31, 0x06, 2, 1, 1, 2, 1, 1}).bytes())).compact().sw(), "not a SEQUENCE");
        assertEquals(Sw.WRONG_DATA, f.send(plain.prepare(OtaFixture.SIM, "sim-cert",
                RemoteCommands.create().simCertificate(new byte[] {0x30, 0x07, 2, 1, 1, 2, 1, 1}).bytes())).compact().sw(), "DER length");
        assertEquals(Sw.WRONG_LENGTH, f.send(plain.prepare(OtaFixture.SIM, "sim-cert",
                RemoteCommands.create().simCertificate(new byte[73]).bytes())).compact().sw(), "longer than a P-256 signature");
        assertEquals(Sw.INCORRECT_P1P2, f.send(plain.prepare(OtaFixture.SIM, "sim-key",
                new byte[] {(byte) 0x80, Constants.INS_OTA_SIM_KEY, 2, 0, 0})).compact().sw());
        assertTrue(f.send(plain.prepare(OtaFixture.SIM, "sim-cert", RemoteCommands.create().simCertificate(cert).bytes())).compact().ok());
        byte[] point = f.send(f.server.readSimKey(OtaFixture.SIM)).compact().data();
        EcP256.checkPoint(point);
        f.card.select(OtaServer.simAid());
        assertArrayEquals(cat(point, cert), new SimCard(f.card).simCertificate());
        // the server certifies only an authenticated answer to its own key request
        assertThrows(IllegalArgumentException.class, () -> f.server.certifySimKey(OtaFixture.SIM, f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY))));
    }

    /**
     * A card that speaks the SIM's terminal protocol with its own keys: SIM key {@code simKey}, its
     * certificate by {@code ca} (or a given certificate), a trust key it chooses.
     */
    static class FakeSim implements UnaryOperator<byte[]> {
        final KeyPair simKey;
        final KeyPair ca;
        final byte[] cert;
        final byte[] challenge = new byte[16];
        static final byte[] CHOSEN_TRUST_KEYS = new byte[32];

        FakeSim(KeyPair simKey, KeyPair ca, byte[] cert) {
            this.simKey = simKey;
            this.ca = ca;
            this.cert = cert;
            Arrays.fill(challenge, (byte) 0x11);
            Arrays.fill(CHOSEN_TRUST_KEYS, (byte) 0x77);
        }

        byte[] simPoint() { return EcP256.encode(simKey.getPublic()); }

        @Override
        public byte[] apply(byte[] a) {
            int ins = a[1] & 0xFF;
            if (ins == 0xA4 || ins == (Constants.INS_GET_CHALLENGE & 0xFF)) {
                return cat(challenge, new byte[] {Constants.STATE_INITIALIZED, 0, 0, Constants.KEY_TYPE_EC_P256}, ok());
            }
            if (ins == 0x48) { // GET SIM CERTIFICATE
                byte[] c = cert != null ? cert : EcP256.signDer(ca.getPrivate(), cat(new byte[] {0x4F}, simPoint()));
                return cat(simPoint(), c, ok());
            }
            if (ins == (Constants.INS_AUTHENTICATE & 0xFF)) {
                int lc = a[4] & 0xFF;
                byte[] data = Arrays.copyOfRange(a, 5, 5 + lc);
                byte[] fixed = Arrays.copyOf(data, 19);
                byte[] eT = Arrays.copyOfRange(data, 19, 19 + 65);
                KeyPair e = EcP256.generate();
                byte[] eCard = EcP256.encode(e.getPublic());
                byte[] h = sha256(cat(EcP256.agree(e.getPrivate(), eT), challenge));
                byte[] sEnc = Arrays.copyOf(h, 16);
                byte[] sMac = Arrays.copyOfRange(h, 16, 32);
                byte[] ct = aes(sEnc, CHOSEN_TRUST_KEYS);
                byte[] head = {Constants.FLAG_KEY_DELIVERED, 1, 0x7F, 0x00};
                byte[] mac = Arrays.copyOf(Cmac.aes(sMac, cat(new byte[] {Constants.LABEL_CARD_PROOF}, challenge, new byte[] {1, 0x7F, 0}, ct)), 8);
                byte[] sig = EcP256.signDer(simKey.getPrivate(), cat(new byte[] {0x49}, challenge, fixed, eT, eCard));
                return cat(head, eCard, ct, mac, sig, ok());
            }
            return new byte[] {0x6D, 0x00};
        }

        private static byte[] ok() { return new byte[] {(byte) 0x90, 0}; }
    }

    static byte[] cat(byte[]... parts) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    static byte[] sha256(byte[] d) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(d);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] aes(byte[] key, byte[] data) {
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
            return c.doFinal(data);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
