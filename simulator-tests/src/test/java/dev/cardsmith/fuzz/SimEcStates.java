package dev.cardsmith.fuzz;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.ota.OtaDates;
import dev.cardsmith.ota.OtaServer;
import dev.cardsmith.ota.RemoteCommands;
import dev.cardsmith.ota.handset.Handset;
import dev.cardsmith.ota.terminal.Terminal;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The sim applet in the asymmetric trust variant (the terminal's EC P-256 key; the SIM's identity
 * key certified by the operator CA), reached as {@code OtaTrustE2eTest}'s EC claim reaches it:
 * {@link Terminal#enrolEc}, {@link OtaServer#certifySim} (SIM_KEY read, certificate stored, both as
 * secured packets), {@link Terminal#pinOperatorCa}, {@link OtaServer#initTrustEc} sent as OTA.
 * States: {@code ec-initialized} (no terminal authenticated yet), {@code ec-delivered}
 * ({@link Terminal#authenticate}: ECDSA proof, ephemeral ECDH, trust key delivered and pending),
 * {@code ec-trusted} (then ACK: TRUSTED under the delivered key).
 *
 * <p>Besides the OTA packets and terminal commands of {@link SimStates.OtaPackets} (with the EC
 * INIT TRUST, SIM_KEY read and certificate among the remote commands), 40 % of the cases are a
 * live AUTHENTICATE made for the card's fresh challenge (GET CHALLENGE sent before the case, not
 * checked; the card power-cycled first when its failure throttle would refuse the attempt): in the
 * EC states a genuine ECDSA proof over a valid ephemeral point, so mutations reach the point check,
 * the signature check and the ECDH behind it; in TRUSTED the trust-key CMAC proof. Mutations: the
 * DER signature (tags, lengths, long-form length, r or s 0, n, r + n, s + n, 2^256 - 1, high s,
 * r and s swapped, a bit of r flipped, negative or non-minimal INTEGERs, extra bytes inside or
 * after the SEQUENCE, truncated, plain r || s, another key's signature), the ephemeral point (off
 * the curve, infinity, prefix 00 / 02 / 03 / 05, x = p; signed over as sent, so only the point
 * check refuses it), the signed fields after signing (IMEI, maximum output, nonce, date), signed
 * but wrong fields (IMEI, maximum output, dates 0, 7FFF, 8000, FFFF, past the expiry), P1 01 / 02,
 * the same AUTHENTICATE twice; framed well or as {@link ApduMutator#frame} frames it.
 *
 * <p>Extra rule of these states: an AUTHENTICATE whose proof the terminal did not make (or whose
 * signed data changed after signing, or a replay) is never accepted (9000).
 */
final class SimEcStates {

    private SimEcStates() {}

    static final String WORLD = "sim-ec";
    private static final BigInteger N = new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    private static final BigInteger P = new BigInteger("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF", 16);
    private static final KeyPair STRANGER = EcP256.generate();
    private static final java.util.concurrent.atomic.AtomicInteger CARDS = new java.util.concurrent.atomic.AtomicInteger();

    static List<FuzzEngine.Target> targets() {
        return List.of(
                target("ec-initialized", SimStates.SimWorld::initialize),
                target("ec-delivered", (w, c) -> {
                    SimStates.SimWorld.initialize(w, c);
                    require(Terminal.onHandset(c.session(), w.ks).authenticate(false, AppletStates.TODAY).keyDelivered(), "no key delivered");
                }),
                target("ec-trusted", (w, c) -> {
                    SimStates.SimWorld.initialize(w, c);
                    Terminal t = Terminal.onHandset(c.session(), w.ks);
                    require(t.authenticate(false, AppletStates.TODAY).keyDelivered(), "no key delivered");
                    w.server.acceptNotification(w.simId, t.ack());
                    require(trustState(c) == Constants.STATE_TRUSTED, "ACK did not make the SIM trusted");
                }));
    }

    private static FuzzEngine.Target target(String state, AppletStates.Setup<SimStates.SimWorld> setup) {
        return SimStates.target(state, WORLD, a -> new SimStates.SimWorld("sim", true), setup,
                (w, c, ota) -> new LiveAuthenticate(w, c, ota), SimEcStates::extraRemote);
    }

    /**
     * The EC variant's remote commands: INIT TRUST with this terminal's EC point (the operator
     * sending it again: the live AUTHENTICATE still has the key it needs), SIM_KEY read, a
     * certificate that the operator CA did not sign.
     */
    private static List<byte[]> extraRemote(SimStates.SimWorld w) {
        java.time.LocalDate d = AppletStates.TODAY;
        byte[] der = EcP256.signDer(STRANGER.getPrivate(), new byte[] {1});
        return List.of(
                RemoteCommands.create().initTrust(Constants.KEY_TYPE_EC_P256, dev.cardsmith.crypto.Hex.parse(w.ks.attr("ecPublic")),
                        SimStates.IMEI, 12, d.plusDays(30), 90, d).bytes(),
                RemoteCommands.create().readSimKey().bytes(),
                RemoteCommands.create().simCertificate(der).bytes());
    }

    /**
     * EC INIT TRUST the way the operator sends it: the terminal enrols its P-256 key, the OTA
     * server certifies the SIM's identity key (two secured packets), the terminal pins the operator
     * CA, INIT TRUST goes out as a secured packet and its PoR is checked.
     */
    static void initialize(SimStates.SimWorld w, SimulatedCard c) {
        w.simId = String.format("8949100000000%07d", CARDS.incrementAndGet());
        w.server.store().register(w.simId, dev.cardsmith.ota.DevKeys.keys(), dev.cardsmith.ota.Spi.CounterMode.HIGHER);
        byte[] pub = Terminal.enrolEc(w.ks, SimStates.IMEI, 12);
        Handset h = new Handset(c.session(), SimStates.IMEI);
        w.server.certifySim(w.simId, h);
        Terminal.pinOperatorCa(w.ks, w.server.operatorCa());
        OtaServer.Result r = w.server.send(h, w.server.initTrustEc(w.simId, pub, SimStates.IMEI, 12,
                AppletStates.TODAY.plusDays(60), 90, AppletStates.TODAY));
        if (!r.por().ok() || !r.compact().ok()) throw new IllegalStateException("EC INIT TRUST refused: " + r.por());
    }

    private static void require(boolean ok, String what) {
        if (!ok) throw new IllegalStateException(what);
    }

    static byte trustState(SimulatedCard c) {
        Object st = SimulatedCard.read(c.applet().getClass(), c.applet(), "st");
        return (byte) SimulatedCard.read(st.getClass(), st, "trustState");
    }

    /** Live AUTHENTICATEs for the card's current challenge, 40 % of the cases; the OTA generator's otherwise. */
    static final class LiveAuthenticate implements CaseGenerator, SimStates.StateRule {
        private final SimStates.SimWorld world;
        private final SimulatedCard card;
        private final SimStates.OtaPackets ota;
        private final PrivateKey terminalKey;
        /** The APDUs of the current case the card must refuse (by identity): proofs the terminal did not make. */
        private final Set<byte[]> mustRefuse = Collections.newSetFromMap(new IdentityHashMap<>());
        private String mustRefuseWhy = "";

        LiveAuthenticate(SimStates.SimWorld world, SimulatedCard card, SimStates.OtaPackets ota) {
            this.world = world;
            this.card = card;
            this.ota = ota;
            this.terminalKey = privateKey(world.ks.secret("init-ec"));
        }

        private static PrivateKey privateKey(byte[] pkcs8) {
            try {
                return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String violation(byte[] apdu, byte[] response) {
            return mustRefuse.contains(apdu) && FuzzEngine.sw(response) == 0x9000
                    ? "AUTHENTICATE accepted a proof the terminal did not make (" + mustRefuseWhy + ")" : null;
        }

        @Override
        public Case generate(long seed) {
            mustRefuse.clear();
            SplittableRandom r = new SplittableRandom(seed);
            if (r.nextInt(10) >= 4) return ota.generate(r.nextLong());
            byte[] ch = freshChallenge();
            if (ch == null) return ota.generate(r.nextLong());
            byte[] challenge = Arrays.copyOf(ch, Constants.CHALLENGE_LEN);
            boolean ec = ch[16] == Constants.STATE_INITIALIZED && ch[19] == Constants.KEY_TYPE_EC_P256;
            StringBuilder how = new StringBuilder(ec ? "live EC AUTHENTICATE" : "live trust-key AUTHENTICATE");
            byte[] fixed = fixed(r);
            int p1 = 0;
            boolean refuse = false;
            byte[] data;
            if (ec) {
                byte[] eT = EcP256.encode(EcP256.generate().getPublic());
                int kind = r.nextInt(100);
                if (kind < 15) {
                    how.append(" genuine");
                    data = cat(fixed, eT, EcP256.signDer(terminalKey, cat(challenge, fixed, eT)));
                } else if (kind < 55) {
                    byte[] der = EcP256.signDer(terminalKey, cat(challenge, fixed, eT));
                    SigMutation m = mutateSignature(r, der, how);
                    refuse = m.refuse;
                    data = cat(fixed, eT, m.der);
                } else if (kind < 70) {
                    refuse = true;
                    eT = mutatePoint(r, eT, how);
                    data = cat(fixed, eT, EcP256.signDer(terminalKey, cat(challenge, fixed, eT)));
                } else if (kind < 85) {
                    refuse = signedFields(r, fixed, how);
                    data = cat(fixed, eT, EcP256.signDer(terminalKey, cat(challenge, fixed, eT)));
                } else {
                    data = cat(fixed, eT, EcP256.signDer(terminalKey, cat(challenge, fixed, eT)));
                    refuse = afterSigning(r, data, how);
                }
            } else {
                byte[] mac = world.ks.secret("mac-" + world.ks.intAttr("activeGen", -1));
                if (mac == null) return ota.generate(r.nextLong());
                int kind = r.nextInt(100);
                if (kind < 25) {
                    how.append(" genuine");
                } else if (kind < 50) {
                    refuse = signedFields(r, fixed, how);
                }
                byte[] proof = Cmac.aes(mac, cat(new byte[] {Constants.LABEL_TERMINAL_PROOF}, challenge, fixed));
                data = cat(fixed, proof);
                if (kind >= 50 && kind < 80) {
                    refuse = afterSigning(r, data, how);
                } else if (kind >= 80) {
                    // the asymmetric form in a state that expects a CMAC: a length the card refuses
                    byte[] eT = EcP256.encode(EcP256.generate().getPublic());
                    data = cat(fixed, eT, EcP256.signDer(terminalKey, cat(challenge, fixed, eT)));
                    refuse = true;
                    how.append(" EC proof instead of the CMAC");
                }
            }
            if (r.nextInt(6) == 0) {
                p1 = new int[] {Constants.P1_AUTH_UPDATE, 0x02, 0x80}[r.nextInt(3)];
                how.append(String.format(" P1=%02X", p1));
                if (p1 != Constants.P1_AUTH_UPDATE) refuse = true;
            }
            Command cmd = new Command(Constants.CLA_PROPRIETARY & 0xFF, Constants.INS_AUTHENTICATE & 0xFF, p1, 0, data, 256);
            List<byte[]> out = new ArrayList<>();
            int framing = r.nextInt(10);
            if (framing < 7) {
                byte[] a = cmd.encode();
                out.add(a);
                if (refuse) mustRefuse.add(a);
            } else if (framing == 7) {
                byte[] a = cmd.encode();
                byte[] again = a.clone();
                out.add(a);
                out.add(again);
                mustRefuse.add(again);
                if (refuse) mustRefuse.add(a);
                how.append(" sent twice (the second a replay)");
            } else {
                out.addAll(ApduMutator.frame(r, cmd, how));
                // framed otherwise (extended, another Le) but still the same command: refused all the same
                Command same = out.size() == 1 ? Command.decode(out.get(0)) : null;
                if (refuse && same != null && same.cla() == cmd.cla() && same.ins() == cmd.ins() && same.p1() == p1
                        && same.p2() == 0 && Arrays.equals(same.data(), data)) {
                    mustRefuse.add(out.get(0));
                }
            }
            mustRefuseWhy = how.toString();
            return new Case(seed, out, how.toString());
        }

        /** GET CHALLENGE for this case (outside it: not checked); power-cycles first when the throttle would refuse the attempt. */
        private byte[] freshChallenge() {
            Object a = card.applet();
            Object st = SimulatedCard.read(a.getClass(), a, "st");
            Object tr = SimulatedCard.read(a.getClass(), a, "tr");
            byte[] otaState = (byte[]) SimulatedCard.read(tr.getClass(), tr, "ota");
            byte failCount = (byte) SimulatedCard.read(st.getClass(), st, "failCount");
            byte limit = failCount >= Constants.MAX_AUTH_FAILURES ? 1 : Constants.MAX_AUTH_FAILURES;
            if (otaState[3] >= limit || otaState[2] == 0) { // Transients.O_FAILURES, O_IMEI_VALID
                card.session().reset();
                new Handset(card.session(), SimStates.IMEI).powerOn();
                card.select();
            }
            byte[] get = {(byte) Constants.CLA_PROPRIETARY, Constants.INS_GET_CHALLENGE, 0, 0, 0};
            for (int attempt = 0; attempt < 2; attempt++) {
                byte[] resp = card.transmitRaw(get);
                if (FuzzEngine.sw(resp) == 0x9000 && resp.length == 22) return Arrays.copyOf(resp, 20);
                card.select();
            }
            return null;
        }

        private static byte[] fixed(SplittableRandom r) {
            byte[] f = new byte[2 + Constants.IMEI_LEN + 1 + Constants.TERMINAL_NONCE_LEN];
            int day = OtaDates.toDay(AppletStates.TODAY);
            f[0] = (byte) (day >> 8);
            f[1] = (byte) day;
            System.arraycopy(Imei.mobileIdentity(SimStates.IMEI), 0, f, 2, Constants.IMEI_LEN);
            f[2 + Constants.IMEI_LEN] = 12;
            byte[] nonce = new byte[Constants.TERMINAL_NONCE_LEN];
            r.nextBytes(nonce);
            System.arraycopy(nonce, 0, f, 3 + Constants.IMEI_LEN, nonce.length);
            return f;
        }

        /** Signed, but not what the SIM was told (IMEI, maximum output) or an odd date; returns whether the card must refuse it. */
        private static boolean signedFields(SplittableRandom r, byte[] fixed, StringBuilder how) {
            switch (r.nextInt(4)) {
                case 0 -> {
                    fixed[2 + r.nextInt(Constants.IMEI_LEN)] ^= (byte) (1 << r.nextInt(8));
                    how.append(" signed other IMEI");
                    return true;
                }
                case 1 -> {
                    fixed[2 + Constants.IMEI_LEN] = (byte) (12 + (r.nextBoolean() ? 1 : -1));
                    how.append(" signed other max output");
                    return true;
                }
                default -> {
                    int day = OtaDates.toDay(AppletStates.TODAY);
                    int[] dates = {0, 0x7FFF, 0x8000, 0xFFFF, day + 61, day + 10_000, day - 1};
                    int d = dates[r.nextInt(dates.length)];
                    fixed[0] = (byte) (d >> 8);
                    fixed[1] = (byte) d;
                    how.append(String.format(" signed date %04X", d & 0xFFFF));
                    return false;
                }
            }
        }

        /** A signed field changed after signing (or the proof's bytes); always a proof the terminal did not make. */
        private static boolean afterSigning(SplittableRandom r, byte[] data, StringBuilder how) {
            int[] fields = {0, 1, 2, 2 + Constants.IMEI_LEN, 3 + Constants.IMEI_LEN, data.length - 1};
            int at = fields[r.nextInt(fields.length)] + (r.nextBoolean() ? 0 : r.nextInt(2));
            at = Math.min(at, data.length - 1);
            data[at] ^= (byte) (1 << r.nextInt(8));
            how.append(" byte ").append(at).append(" flipped after signing");
            return true;
        }

        record SigMutation(byte[] der, boolean refuse) {}

        /** One targeted change of the genuine DER signature; refuse: the values are no longer the terminal's (r, s). */
        private static SigMutation mutateSignature(SplittableRandom r, byte[] der, StringBuilder how) {
            byte[] plain = EcP256.derToPlain(der);
            BigInteger sr = new BigInteger(1, Arrays.copyOf(plain, 32));
            BigInteger ss = new BigInteger(1, Arrays.copyOfRange(plain, 32, 64));
            BigInteger max = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
            int k = r.nextInt(24);
            how.append(" sig: ");
            return switch (k) {
                case 0 -> m(how, "r=0", der(BigInteger.ZERO, ss), true);
                case 1 -> m(how, "s=0", der(sr, BigInteger.ZERO), true);
                case 2 -> m(how, "r=n", der(N, ss), true);
                case 3 -> m(how, "s=n", der(sr, N), true);
                case 4 -> m(how, "r+n", der(sr.add(N), ss), true);
                case 5 -> m(how, "s+n", der(sr, ss.add(N)), true);
                case 6 -> m(how, "r=2^256-1", der(max, ss), true);
                case 7 -> m(how, "high s (n-s: the same signature)", der(sr, N.subtract(ss)), false);
                case 8 -> m(how, "r and s swapped", der(ss, sr), true);
                case 9 -> m(how, "a bit of r flipped", der(sr.flipBit(r.nextInt(256)), ss), true);
                case 10 -> {
                    byte[] d = der.clone();
                    d[0] = (byte) new int[] {0x31, 0x10, 0xB0, 0x00}[r.nextInt(4)];
                    yield m(how, String.format("SEQUENCE tag %02X", d[0]), d, false);
                }
                case 11 -> {
                    byte[] d = der.clone();
                    d[1] = (byte) (d[1] + new int[] {1, -1, 0x40, -d[1]}[r.nextInt(4)]);
                    yield m(how, String.format("SEQUENCE length %02X", d[1]), d, false);
                }
                case 12 -> {
                    byte[] d = der.clone();
                    int at = r.nextBoolean() ? 2 : 4 + (der[3] & 0xFF);
                    d[at] = (byte) new int[] {0x82, 0x12, 0x85, 0x03, 0x00, 0x22}[r.nextInt(6)];
                    yield m(how, String.format("INTEGER tag@%d %02X", at, d[at]), d, false);
                }
                case 13 -> {
                    byte[] d = der.clone();
                    d[3] = (byte) (d[3] + (r.nextBoolean() ? 1 : -1));
                    yield m(how, "r length ±1", d, false);
                }
                case 14 -> {
                    byte[] d = der.clone();
                    int at = 5 + (der[3] & 0xFF);
                    d[at] = (byte) new int[] {d[at] + 1, d[at] - 1, 0, 0x80, 0xFF}[r.nextInt(5)];
                    yield m(how, String.format("s length %02X", d[at]), d, false);
                }
                case 15 -> m(how, "r non-minimal (00 prefix added)", der(intBytes(sr, 1), intBytes(ss, 0)), false);
                case 16 -> sr.testBit(255) ? m(how, "r negative (sign byte dropped)", der(unsigned(sr), intBytes(ss, 0)), true)
                        : ss.testBit(255) ? m(how, "s negative (sign byte dropped)", der(intBytes(sr, 0), unsigned(ss)), true)
                        : m(how, "no sign byte to drop (genuine)", der, false);
                case 17 -> {
                    byte[] extra = new byte[1 + r.nextInt(8)];
                    r.nextBytes(extra);
                    yield m(how, extra.length + " bytes after the SEQUENCE", cat(der, extra), false);
                }
                case 18 -> {
                    byte[] inner = Arrays.copyOfRange(der, 2, der.length);
                    byte[] extra = {0x02, 0x01, 0x01};
                    yield m(how, "a third INTEGER inside the SEQUENCE", seq(cat(inner, extra)), false);
                }
                case 19 -> {
                    byte[] inner = Arrays.copyOfRange(der, 2, der.length);
                    yield m(how, "long-form SEQUENCE length 81", cat(new byte[] {0x30, (byte) 0x81, (byte) inner.length}, inner), false);
                }
                case 20 -> {
                    int cut = 8 + r.nextInt(der.length - 8);
                    yield m(how, "truncated to " + cut, Arrays.copyOf(der, cut), true);
                }
                case 21 -> m(how, "plain r || s", plain.length < 8 ? der : plain, true);
                case 22 -> m(how, "SEQUENCE of nothing (30 00 padded to 8)", new byte[] {0x30, 0, 0, 0, 0, 0, 0, 0}, true);
                default -> m(how, "another key's signature", EcP256.signDer(STRANGER.getPrivate(), new byte[] {9}), true);
            };
        }

        private static SigMutation m(StringBuilder how, String what, byte[] der, boolean refuse) {
            how.append(what);
            return new SigMutation(der, refuse);
        }

        /** The ephemeral point, not on P-256 (or not uncompressed); the card must answer 6A80. */
        private static byte[] mutatePoint(SplittableRandom r, byte[] eT, StringBuilder how) {
            byte[] p = eT.clone();
            switch (r.nextInt(6)) {
                case 0 -> {
                    BigInteger y = new BigInteger(1, Arrays.copyOfRange(p, 33, 65)).add(BigInteger.ONE);
                    System.arraycopy(fixed32(y), 0, p, 33, 32);
                    how.append(" E_T off the curve (y+1)");
                }
                case 1 -> {
                    Arrays.fill(p, 1, 65, (byte) 0);
                    how.append(" E_T infinity (04 || 0^64)");
                }
                case 2 -> {
                    p[0] = (byte) new int[] {0x00, 0x02, 0x03, 0x05, 0x06, 0x07}[r.nextInt(6)];
                    how.append(String.format(" E_T prefix %02X", p[0]));
                }
                case 3 -> {
                    System.arraycopy(fixed32(P), 0, p, 1, 32);
                    how.append(" E_T x = p");
                }
                case 4 -> {
                    System.arraycopy(fixed32(P), 0, p, 33, 32);
                    how.append(" E_T y = p");
                }
                default -> {
                    p[1 + r.nextInt(64)] ^= (byte) (1 << r.nextInt(8));
                    how.append(" E_T coordinate bit flipped");
                }
            }
            return p;
        }

        private static byte[] fixed32(BigInteger v) {
            byte[] b = v.toByteArray();
            byte[] out = new byte[32];
            int n = Math.min(32, b.length);
            System.arraycopy(b, b.length - n, out, 32 - n, n);
            return out;
        }

        /** DER INTEGER content of v (two's complement, minimal) with {@code pad} extra leading zero bytes. */
        private static byte[] intBytes(BigInteger v, int pad) {
            return cat(new byte[pad], v.toByteArray());
        }

        /** The value's bytes without the sign byte DER needs when the top bit is set: read as a negative INTEGER. */
        private static byte[] unsigned(BigInteger v) {
            byte[] b = v.toByteArray();
            return b.length > 1 && b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
        }

        private static byte[] der(BigInteger r, BigInteger s) {
            return der(r.toByteArray(), s.toByteArray());
        }

        private static byte[] der(byte[] r, byte[] s) {
            return seq(cat(new byte[] {0x02, (byte) r.length}, r, new byte[] {0x02, (byte) s.length}, s));
        }

        private static byte[] seq(byte[] inner) {
            return cat(new byte[] {0x30, (byte) inner.length}, inner);
        }

        private static byte[] cat(byte[]... parts) {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            for (byte[] p : parts) o.writeBytes(p);
            return o.toByteArray();
        }
    }
}
