package dev.cardsmith.fuzz;

import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.ota.CommandPacket;
import dev.cardsmith.ota.DevKeys;
import dev.cardsmith.ota.OtaFuzzAccess;
import dev.cardsmith.ota.OtaKeys;
import dev.cardsmith.ota.OtaServer;
import dev.cardsmith.ota.OtaStore;
import dev.cardsmith.ota.RemoteCommands;
import dev.cardsmith.ota.ResponsePacket;
import dev.cardsmith.ota.SmsPp;
import dev.cardsmith.ota.Spi;
import dev.cardsmith.ota.terminal.Terminal;
import dev.cardsmith.ota.terminal.TerminalKeyStore;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.store.Database;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The sim applet, reached the way its OTA messages reach it: secured packets (ETSI TS 102 225 /
 * 3GPP TS 31.115) in SMS-PP download envelopes, built field by field with the OTA key set so
 * SPI, KIc, KID, TAR, counter, padding counter, CHL/CPL and the CC can each be mutated while the
 * rest stays valid; plus the terminal-facing commands (GET CHALLENGE, AUTHENTICATE ...).
 */
final class SimStates {

    private SimStates() {}

    static final String SIM = "89490000000000000017";
    static final String IMEI = "490154203237518";

    static List<FuzzEngine.Target> targets() {
        return List.of(
                target("personalized", (w, c) -> { }),
                target("initialized", SimWorld::initialize),
                target("trusted", (w, c) -> {
                    SimWorld.initialize(w, c);
                    Terminal.onHandset(c.session(), w.ks).authenticate(false, AppletStates.TODAY);
                }),
                target("revoked", SimWorld::revoked));
    }

    static final class SimWorld extends AppletStates.World {
        final OtaServer server;
        final TerminalKeyStore ks;
        /** The asymmetric trust variant (EC P-256 terminal key, SIM identity certified): {@link SimEcStates}. */
        final boolean ec;
        /** The SIM the OTA server knows the current card as (the EC world registers one per card: notification counters start afresh on every card). */
        String simId = SIM;

        SimWorld(String applet) {
            this(applet, false);
        }

        SimWorld(String applet, boolean ec) {
            super(applet, dev.cardsmith.applet.sim.Constants.class);
            this.ec = ec;
            SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("hsm.p12"), "fuzz".toCharArray());
            OtaStore.createKek(hsm);
            server = new OtaServer(new OtaStore(Database.open("jdbc:sqlite:" + dir.resolve("ota.db")), hsm));
            server.store().register(SIM, DevKeys.keys(), Spi.CounterMode.HIGHER);
            ks = TerminalKeyStore.open(dir.resolve("terminal.json"), "fuzz".toCharArray());
            capture(c -> {
                initialize(this, c);
                Terminal t = Terminal.onHandset(c.session(), ks);
                t.authenticate(false, AppletStates.TODAY);
                server.acceptNotification(simId, t.ack());
                t.poll();
                t.challenge();
                if (ec) {
                    // trusted now: the trust-key (symmetric) proof, and a terminal-initiated update
                    Terminal.onHandset(c.session(), ks).authenticate(false, AppletStates.TODAY);
                    Terminal.onHandset(c.session(), ks).authenticate(true, AppletStates.TODAY);
                }
            });
        }

        @Override AppletSpec spec() {
            return super.spec().withInstallParams(DevKeys.keys().installParams(DevKeys.MSL));
        }

        static void initialize(SimWorld w, SimulatedCard c) {
            if (w.ec) {
                SimEcStates.initialize(w, c);
                return;
            }
            byte[] k = Terminal.enrolSymmetric(w.ks, IMEI, 12);
            OtaServer.Result r = w.server.send(new dev.cardsmith.ota.handset.Handset(c.session(), IMEI), w.server.initTrustSymmetric(SIM, k, IMEI, 12,
                    AppletStates.TODAY.plusDays(60), 90, AppletStates.TODAY));
            if (!r.por().ok() || !r.compact().ok()) throw new IllegalStateException("INIT TRUST refused: " + r.por());
        }

        /**
         * Revoked by the network: trust initialised over OTA and used by the terminal, then
         * {@link OtaServer#revoke} sent as a secured packet the way the operator sends it (REVOKE
         * remote command in an SMS-PP download), its PoR checked.
         */
        static void revoked(SimWorld w, SimulatedCard c) {
            initialize(w, c);
            Terminal.onHandset(c.session(), w.ks).authenticate(false, AppletStates.TODAY);
            OtaServer.Result r = w.server.send(new dev.cardsmith.ota.handset.Handset(c.session(), IMEI), w.server.revoke(SIM));
            if (!r.por().ok() || !r.compact().ok()) throw new IllegalStateException("REVOKE refused: " + r.por());
            Object st = SimulatedCard.read(c.applet().getClass(), c.applet(), "st");
            if ((byte) SimulatedCard.read(st.getClass(), st, "trustState") != dev.cardsmith.applet.sim.Constants.STATE_REVOKED) {
                throw new IllegalStateException("REVOKE did not revoke");
            }
        }

        @Override Object lifecycle(StateFixture f) {
            // EC world: an INIT TRUST with an AES key leaves INITIALIZED but ends the EC variant (rebuilt)
            return ec ? List.of(f.field("st.trustState"), f.field("st.otaPersonalized"), f.field("st.keyType"))
                    : List.of(f.field("st.trustState"), f.field("st.otaPersonalized"));
        }
    }

    static FuzzEngine.Target target(String state, AppletStates.Setup<SimWorld> setup) {
        return target(state, "sim", SimWorld::new, setup, (w, c, ota) -> ota, w -> List.of());
    }

    /** How a state's cases are made from the OTA packets (and the world, the card): the OTA generator itself for most states. */
    interface Cases {
        CaseGenerator make(SimWorld w, SimulatedCard c, OtaPackets ota);
    }

    /**
     * A sim state in the world {@code worldKey} ({@code "sim"} symmetric, {@code "sim-ec"} asymmetric),
     * its OTA packets with the {@code extraRemote} remote commands (made for the built state) besides the usual ones; when the
     * generator is a {@link StateRule}, its rule is the state's.
     */
    static FuzzEngine.Target target(String state, String worldKey, java.util.function.Function<String, SimWorld> make,
                                    AppletStates.Setup<SimWorld> setup, Cases cases,
                                    java.util.function.Function<SimWorld, List<byte[]>> extraRemote) {
        return new FuzzEngine.Target("sim", state, () -> {
            SimWorld w = AppletStates.world(worldKey, make);
            SimulatedCard c = w.newCard();
            setup.to(w, c);
            c.stopRecording();
            OtaPackets ota = new OtaPackets(w.mutator(), c, extraRemote.apply(w));
            CaseGenerator gen = cases.make(w, c, ota);
            return new StateFixture(c) {
                @Override CaseGenerator generator() { return gen; }
                @Override Object lifecycle() { return w.lifecycle(this); }
                @Override String violation(byte[] apdu, byte[] response) {
                    return gen instanceof StateRule rule ? rule.violation(apdu, response) : null;
                }
                @Override Declarations.Refusal refusal(byte[] apdu, byte[] response) {
                    Declarations.Refusal r = super.refusal(apdu, response);
                    if (r != null || apdu.length < 2 || apdu[1] != dev.cardsmith.applet.sim.Constants.INS_ENVELOPE
                            || response.length <= 2 || ota.lastSpi == null) {
                        return r;
                    }
                    if (ota.lastSpi.porCiphered() && !ota.lastSpi.porCc()) {
                        return null; // a ciphered PoR without CC cannot be told from a plain error PoR: no check
                    }
                    try {
                        ResponsePacket por = ResponsePacket.decode(DevKeys.keys(), ota.lastSpi, Arrays.copyOf(response, response.length - 2));
                        if (!por.ok()) return Declarations.Refusal.POR_STATUS;
                        // TS 102 226 5.1.2: commands before the failing one keep their effect; only a
                        // packet whose first (or only) command failed has refused everything
                        ResponsePacket.CompactResponse cr = por.compact();
                        return cr.ok() || cr.commands() > 1 ? null : Declarations.Refusal.REMOTE_COMMAND;
                    } catch (RuntimeException e) {
                        return null; // not a PoR this harness can read: counted as accepted (no check)
                    }
                }
            };
        });
    }

    /** A generator with a rule of its own for the state (a sentence naming what the APDU broke, or null). */
    interface StateRule {
        String violation(byte[] apdu, byte[] response);
    }

    /** Secured packets with mutated fields, in SMS-PP download envelopes; terminal commands otherwise. */
    static final class OtaPackets implements CaseGenerator {
        private final ApduMutator terminal;
        private final SimulatedCard card;
        private final OtaKeys keys = DevKeys.keys();
        private final List<byte[]> remote;
        Spi lastSpi;

        OtaPackets(ApduMutator terminal, SimulatedCard card, List<byte[]> extraRemote) {
            this.terminal = terminal;
            this.card = card;
            java.time.LocalDate d = AppletStates.TODAY;
            List<byte[]> all = new ArrayList<>(List.of(
                    RemoteCommands.create().setDate(d).status().bytes(),
                    RemoteCommands.create().setDate(d).requestUpdate().bytes(),
                    RemoteCommands.create().revoke().bytes(),
                    RemoteCommands.create().license(7, new byte[16], 3, d, d.plusDays(10)).bytes(),
                    RemoteCommands.create().deleteLicense(7).bytes(),
                    RemoteCommands.create().initTrust(dev.cardsmith.applet.sim.Constants.KEY_TYPE_AES128, new byte[16], IMEI, 12,
                            d.plusDays(30), 90, d).bytes()));
            all.addAll(extraRemote);
            remote = List.copyOf(all);
        }

        @Override
        public CaseGenerator.Case generate(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            if (r.nextInt(10) < 4) {
                lastSpi = null;
                return terminal.generate(seed);
            }
            StringBuilder how = new StringBuilder("OTA");
            byte[] data = remote.get(r.nextInt(remote.size())).clone();
            if (r.nextInt(3) == 0) {
                List<Tlv.Element> els = Tlv.parse(Arrays.copyOfRange(data, 5, data.length));
                int k = r.nextInt(4);
                if (k == 0 && data.length > 5) { data[4] = (byte) (data[4] + (r.nextBoolean() ? 1 : -1)); how.append(" remote Lc±1"); }
                else if (k == 1) { data[1] = (byte) (0x20 + 2 * r.nextInt(8)); how.append(String.format(" remote INS %02X", data[1])); }
                else if (k == 2 && !els.isEmpty()) {
                    Tlv.Element e = els.get(r.nextInt(els.size()));
                    data[5 + e.lengthOff()] = (byte) (e.length() + (r.nextBoolean() ? 1 : -1));
                    how.append(" remote tlv len±1");
                } else { data = Arrays.copyOf(data, r.nextInt(data.length + 1)); how.append(" remote truncated"); }
            }
            int spi1 = 0x16, spi2 = 0x39;
            int kic = keys.kicByte(), kid = keys.kidByte();
            byte[] tar = keys.tar();
            long counter = counter() + 1;
            int mut = r.nextInt(12);
            switch (mut) {
                case 0 -> { spi1 ^= 1 << r.nextInt(8); how.append(String.format(" SPI1=%02X", spi1)); }
                case 1 -> { spi2 = r.nextInt(256); how.append(String.format(" SPI2=%02X", spi2)); }
                case 2 -> { kic = r.nextInt(256); how.append(String.format(" KIc=%02X", kic)); }
                case 3 -> { kid = r.nextInt(256); how.append(String.format(" KID=%02X", kid)); }
                case 4 -> { tar[r.nextInt(3)] ^= (byte) (1 << r.nextInt(8)); how.append(" TAR flipped"); }
                case 5 -> {
                    long[] c = {counter - 1, counter - 2, 0, 0xFF_FFFF_FFFFL, counter + 1, counter + 1000};
                    counter = c[r.nextInt(c.length)] & 0xFF_FFFF_FFFFL;
                    how.append(" CNTR=").append(counter);
                }
                default -> { }
            }
            boolean cc = (spi1 & 0x03) == 0x02;
            boolean cipher = (spi1 & 0x04) != 0;
            int ccLen = cc ? 8 : 0;
            int pad = cipher ? (16 - (6 + ccLen + data.length) % 16) % 16 : 0;
            int pcntr = pad;
            if (mut == 6) { pcntr = new int[] {pad + 1, pad + 16, 255, Math.max(0, pad - 1)}[r.nextInt(4)] & 0xFF; how.append(" PCNTR=").append(pcntr); }
            byte[] padded = Arrays.copyOf(data, data.length + pad);
            int cpl = 8 + 6 + ccLen + padded.length;
            int chl = 13 + ccLen;
            byte[] header = {(byte) (cpl >> 8), (byte) cpl, (byte) chl, (byte) spi1, (byte) spi2, (byte) kic, (byte) kid, tar[0], tar[1], tar[2]};
            byte[] cntr = {(byte) (counter >> 32), (byte) (counter >> 24), (byte) (counter >> 16), (byte) (counter >> 8), (byte) counter, (byte) pcntr};
            ByteArrayOutputStream sec = new ByteArrayOutputStream();
            sec.writeBytes(cntr);
            if (cc) {
                byte[] mac = OtaFuzzAccess.cc(keys, concat(header, cntr, padded));
                if (mut == 7) { mac[r.nextInt(8)] ^= (byte) (1 << r.nextInt(8)); how.append(" CC flipped"); }
                sec.writeBytes(mac);
            }
            sec.writeBytes(padded);
            byte[] secured = sec.toByteArray();
            if (cipher && secured.length % 16 == 0) secured = OtaFuzzAccess.encrypt(keys, secured);
            byte[] packet = concat(header, secured);
            if (mut == 8) { packet[2] = (byte) (chl + (r.nextBoolean() ? 1 : -8)); how.append(" CHL"); }
            if (mut == 9) { packet[1] = (byte) (packet[1] + (r.nextBoolean() ? 1 : -1)); how.append(" CPL±1"); }
            if (mut == 10) { packet = Arrays.copyOf(packet, r.nextInt(packet.length)); how.append(" packet truncated"); }
            lastSpi = new Spi(spi1 & 0xFF, spi2 & 0xFF);
            List<byte[]> apdus = new ArrayList<>();
            for (byte[] tpdu : SmsPp.deliver(OtaServer.DEFAULT_ORIGINATOR, packet, r.nextInt(256), OtaFuzzAccess.scts())) {
                byte[] env = SmsPp.envelope(tpdu, null);
                if (mut == 11 && r.nextBoolean()) {
                    List<Tlv.Element> els = Tlv.parse(env);
                    if (!els.isEmpty()) {
                        Tlv.Element e = els.get(r.nextInt(els.size()));
                        env = Tlv.withLength(env, e, e.length() + (r.nextBoolean() ? 1 : -1));
                        how.append(" envelope tlv len±1");
                    }
                }
                apdus.add(OtaServer.envelopeApdu(env).getBytes());
            }
            return new CaseGenerator.Case(seed, apdus, how.toString());
        }

        private long counter() {
            return card.counter("st", "counter");
        }

        private static byte[] concat(byte[]... parts) {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            for (byte[] p : parts) o.writeBytes(p);
            return o.toByteArray();
        }
    }
}
