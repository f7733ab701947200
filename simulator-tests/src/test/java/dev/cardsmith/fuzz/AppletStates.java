package dev.cardsmith.fuzz;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.module.CentralSystem;
import dev.cardsmith.module.CertificateAuthority;
import dev.cardsmith.module.Manufacturing;
import dev.cardsmith.module.ModuleApdus;
import dev.cardsmith.module.ModuleCard;
import dev.cardsmith.module.ModuleStore;
import dev.cardsmith.module.PersonalizationUnit;
import dev.cardsmith.module.TanIssuer;
import dev.cardsmith.psd.AccessServer;
import dev.cardsmith.psd.KeyManagementServer;
import dev.cardsmith.psd.PsdKeys;
import dev.cardsmith.psd.PsdStore;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.support.RawPiv;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.vault.PublicDatabase;
import dev.cardsmith.vault.SecureProcessingPoint;
import dev.cardsmith.vault.VaultCard;
import dev.cardsmith.vault.VaultKeys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Every applet in every lifecycle state the fuzzer covers, each reached through the host
 * library. Per applet one "world" (HSMs, stores, CA) is built once per JVM; its templates are the
 * commands the host library sent while running the applet's flows on a separate capture card.
 */
final class AppletStates {

    private AppletStates() {}

    static final LocalDate TODAY = LocalDate.now();
    private static final Map<String, Object> WORLDS = new ConcurrentHashMap<>();

    static List<FuzzEngine.Target> all() {
        List<FuzzEngine.Target> t = new ArrayList<>();
        t.add(target("vault", "empty", VaultWorld::new, (w, c) -> { }));
        t.add(target("vault", "provisioned", VaultWorld::new, VaultWorld::provision));
        t.add(target("vault", "packaged", VaultWorld::new, VaultWorld::packaged));
        t.add(target("psd", "installed", PsdWorld::new, (w, c) -> { }));
        t.add(target("psd", "issued", PsdWorld::new, (w, c) -> w.access.issue(c.session())));
        t.add(PsdSessionState.target());
        t.add(target("module", "installed", ModuleWorld::new, (w, c) -> { }));
        t.add(target("module", "enrolled", ModuleWorld::new, (w, c) -> w.enroll(c)));
        t.add(target("module", "operating", ModuleWorld::new, ModuleWorld::personalize));
        t.add(ModuleTransactionState.target());
        t.add(target("piv", "default", PivWorld::new, (w, c) -> { }));
        t.add(PivWorld.keysAdminPin());
        t.add(PivWorld.pinBlocked(false));
        t.add(PivWorld.pinBlocked(true));
        t.addAll(SimStates.targets());
        t.addAll(SimEcStates.targets());
        return t;
    }

    static FuzzEngine.Target byName(String name) {
        return all().stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no fuzz target " + name));
    }

    /** Base of the per-applet worlds: the applet, its constants, its templates. */
    abstract static class World {
        final String applet;
        final Path dir;
        final Class<?> constants;
        List<Command> templates = List.of();

        World(String applet, Class<?> constants) {
            this.applet = applet;
            this.constants = constants;
            try {
                Path base = Files.createDirectories(Path.of("target", "fuzz-work"));
                this.dir = Files.createTempDirectory(base, applet + "-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        AppletSpec spec() { return AppletRegistry.byName(applet); }

        SimulatedCard newCard() {
            SimulatedCard c = new SimulatedCard(spec());
            c.select();
            return c;
        }

        /** Runs the host-library flows on a throw-away card and keeps what they sent as templates. */
        void capture(Consumer<SimulatedCard> flows) {
            try (SimulatedCard c = newCard()) {
                flows.accept(c);
                templates = Command.logical(c.recorded()).stream().filter(x -> x.ins() != 0xA4).distinct().toList();
            }
        }

        ApduMutator mutator() { return new ApduMutator(constants, templates); }

        abstract Object lifecycle(StateFixture f);
    }

    @SuppressWarnings("unchecked")
    static <W extends World> W world(String applet, Function<String, W> make) {
        return (W) WORLDS.computeIfAbsent(applet, a -> make.apply(a));
    }

    interface Setup<W> {
        void to(W world, SimulatedCard card);
    }

    static <W extends World> FuzzEngine.Target target(String applet, String state, Function<String, W> make, Setup<W> setup) {
        return target(applet, state, make, setup, (w, c) -> c.select());
    }

    /** A state whose fixture, after a reset, needs more than SELECT to be back (a login, an authentication). */
    static <W extends World> FuzzEngine.Target target(String applet, String state, Function<String, W> make, Setup<W> setup, Setup<W> refresh) {
        return target(applet, state, make, setup, refresh, null);
    }

    /** ... and whose lifecycle has more to it than the world's fields (a blocked PIN); null: the world's. */
    static <W extends World> FuzzEngine.Target target(String applet, String state, Function<String, W> make, Setup<W> setup, Setup<W> refresh,
                                                      Function<StateFixture, Object> lifecycle) {
        return new FuzzEngine.Target(applet, state, () -> {
            W w = world(applet, make);
            SimulatedCard c = w.newCard();
            setup.to(w, c);
            c.stopRecording();
            ApduMutator m = w.mutator();
            return new StateFixture(c) {
                @Override CaseGenerator generator() { return m; }
                @Override Object lifecycle() { return lifecycle == null ? w.lifecycle(this) : List.of(w.lifecycle(this), lifecycle.apply(this)); }
                @Override void refresh() { refresh.to(w, c); }
            };
        });
    }

    // ------------------------------------------------------------------ vault

    static final class VaultWorld extends World {
        final Hsm hsm;
        final VaultKeys keys;
        final SecureProcessingPoint spp;
        private int identity;

        VaultWorld(String applet) {
            super(applet, dev.cardsmith.applet.vault.Constants.class);
            hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "fuzz".toCharArray());
            keys = new VaultKeys(hsm);
            PublicDatabase db = PublicDatabase.open("jdbc:sqlite:" + dir.resolve("public.db"));
            OperationJournal journal = new OperationJournal(Database.open("jdbc:sqlite:" + dir.resolve("cardsmith.db")));
            spp = new SecureProcessingPoint(keys, db, journal, null); // key pair generated per card, no pre-generated pool
            capture(c -> {
                VaultCard card = new VaultCard(c.session());
                provision(c);
                card.proveChannelKey("a fuzzing challenge".getBytes(StandardCharsets.US_ASCII));
                card.proveDeviceKey("a fuzzing challenge".getBytes(StandardCharsets.US_ASCII));
                card.certificate();
                card.devicePublicKey();
                spp.wipe(card);
                // the re-run that finishes a provision interrupted after STORE PACKAGE: GET CHALLENGE, GET BACKUP
                spp.provision(card, packaged(c));
                spp.wipe(card);
            });
        }

        private byte[] nextIdentity() {
            String imei = "4901542" + String.format("%07d", identity++); // one identity per chip
            return Imei.identityBytes(imei + Imei.luhnCheckDigit(imei));
        }

        void provision(SimulatedCard c) {
            spp.provision(new VaultCard(c.session()), nextIdentity());
        }

        /**
         * PACKAGED, the way a factory line leaves a chip: a provision whose host lost the card's
         * answer to STORE PACKAGE (process killed, card pulled), so the card holds the package
         * but no backup reached the public database and no certificate was stored. Returns the
         * identity (a re-run of the provision with it finishes the job through GET BACKUP).
         */
        byte[] packaged(SimulatedCard c) {
            byte[] id = nextIdentity();
            try (dev.cardsmith.transport.CardSession torn = c.losingAnswerTo(dev.cardsmith.applet.vault.Constants.INS_STORE_PACKAGE)) {
                spp.provision(new VaultCard(torn), id);
                throw new IllegalStateException("the provision was not interrupted");
            } catch (dev.cardsmith.transport.TransportException expected) {
                // the card executed STORE PACKAGE; the host never saw the answer
            }
            if (new VaultCard(c.session()).select().state() != dev.cardsmith.applet.vault.Constants.STATE_PACKAGED) {
                throw new IllegalStateException("the interrupted provision did not leave the chip PACKAGED");
            }
            return id;
        }

        @Override Object lifecycle(StateFixture f) {
            return List.of(f.field("st.state"));
        }
    }

    // ------------------------------------------------------------------ psd

    static final class PsdWorld extends World {
        final AccessServer access;
        final KeyManagementServer kms;

        PsdWorld(String applet) {
            super(applet, dev.cardsmith.applet.psd.PsdProtocol.class);
            Hsm kmsHsm = HsmFactory.open("pkcs12:" + dir.resolve("kms.p12"), "kms-pw".toCharArray());
            Hsm accessHsm = HsmFactory.open("pkcs12:" + dir.resolve("access.p12"), "access-pw".toCharArray());
            kms = new KeyManagementServer(kmsHsm);
            access = new AccessServer(accessHsm, new PsdStore(Database.open("jdbc:sqlite:" + dir.resolve("psd.db"))));
            kms.init();
            access.importKeys(kms.export(access.keyTransferImportKey(), true));
            access.importTransportKey(Hex.parse(PsdKeys.DEV_TRANSPORT_KEY_HEX));
            capture(c -> {
                access.issue(c.session());
                kms.rotateMasterKeyBlock();
                access.importKeys(kms.export(access.keyTransferImportKey(), true));
                access.replaceMasterKey(c.session());
                kms.rotateKrkBlock();
                access.importKeys(kms.export(access.keyTransferImportKey(), true));
                access.changeKrk(c.session());
                access.mkWorks(c.session(), access.select(c.session()), access.latestMkVersion());
            });
        }

        @Override Object lifecycle(StateFixture f) {
            return f.field("p.vars").toString().substring(1, 3); // Persistent.V_STATE
        }
    }

    // ------------------------------------------------------------------ module

    static final class ModuleWorld extends World {
        final Hsm hsm;
        final ModuleStore store;
        final CertificateAuthority ca;

        ModuleWorld(String applet) {
            super(applet, dev.cardsmith.applet.module.Constants.class);
            hsm = HsmFactory.open("pkcs12:" + dir.resolve("keystore.p12"), "fuzz".toCharArray());
            store = new ModuleStore(Database.open("jdbc:sqlite:" + dir.resolve("cardsmith.db")));
            ca = new CertificateAuthority(hsm, store);
            ca.init(TODAY);
            capture(c -> {
                String id = enroll(c);
                personalize(this, c, id);
                CentralSystem central = new CentralSystem(ca);
                central.authenticate(ModuleCard.local(c.session(), true), TODAY);
                central.transact(ModuleCard.local(c.session(), false), id, "fuzz".getBytes(StandardCharsets.US_ASCII));
                ModuleCard.local(c.session(), false).transmitOk("GET STATUS", ModuleApdus.getStatus(2));
                // issue 13: RELEASE CHALLENGE and the signed ENTER PERSONALIZATION (ends in personalization)
                central.release(ModuleCard.local(c.session(), true));
            });
            templates = new ArrayList<>(templates);
            templates.addAll(otherPersoUnits(4));
        }

        /**
         * PERSO INITIATE from further perso units the manufacturer certified (a factory has several):
         * each names another perso-unit key, so a command that writes that key and then fails
         * changes the applet's state visibly even after a genuine INITIATE set the first one.
         */
        List<Command> otherPersoUnits(int n) {
            List<Command> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] point = dev.cardsmith.crypto.EcP256.encode(dev.cardsmith.crypto.EcP256.generate().getPublic());
                dev.cardsmith.module.CvCertificate cert = dev.cardsmith.module.CvCertificate.issue(
                        CertificateAuthority.MANUFACTURER_CHR, "ZZCSPU0000" + (i + 2), point,
                        dev.cardsmith.module.CvCertificate.Role.PERSO_UNIT, null, TODAY, TODAY.plusYears(1),
                        body -> hsm.signSha256WithEcdsa(CertificateAuthority.MANUFACTURER_LABEL, body));
                byte[] eph = dev.cardsmith.crypto.EcP256.encode(dev.cardsmith.crypto.EcP256.generate().getPublic());
                out.add(Command.decode(ModuleApdus.persoInitiate(cert.encoded(), eph, true).getBytes()));
            }
            return out;
        }

        String enroll(SimulatedCard c) {
            return new Manufacturing(ca).enroll(c.session(), TODAY).moduleId();
        }

        static void personalize(ModuleWorld w, SimulatedCard c) {
            personalize(w, c, w.enroll(c));
        }

        static void personalize(ModuleWorld w, SimulatedCard c, String moduleId) {
            c.select();
            ModuleCard card = ModuleCard.local(c.session(), true);
            card.transmitOk("ENTER TAN", ModuleApdus.enterTan(new TanIssuer(w.ca).issue(moduleId, 1).get(0)));
            new PersonalizationUnit(w.ca).personalize(card, TODAY, null);
        }

        @Override Object lifecycle(StateFixture f) {
            return List.of(f.field("p.state"), f.field("p.checkingKeySet"), f.field("p.identityKeySet"),
                    f.field("p.identityCertLength"), f.field("p.moduleKeySet"), f.field("p.centralKeySet"));
        }
    }

    // ------------------------------------------------------------------ piv

    /** The PIV card edge through raw APDUs (RawPiv): its flows are what OpenSC and the JCA provider send. */
    static final class PivWorld extends World {
        static final byte[] PIN = RawPiv.pin("123456");
        static final byte[] NEW_PIN = RawPiv.pin("24681357");

        PivWorld(String applet) {
            super(applet, dev.cardsmith.applet.piv.Constants.class);
            capture(c -> {
                RawPiv p = new RawPiv(c.session());
                p.select();
                p.verify(PIN);
                p.changePin(PIN, NEW_PIN);
                p.verify(NEW_PIN);
                keys(p);
                p.signEc(0x9A, new byte[32]);
                p.send(dev.cardsmith.applet.piv.Constants.INS_GENERAL_AUTHENTICATE, 0x11, 0x9D, RawPiv.tlv(0x7C, java.util.HexFormat.of()
                        .parseHex("8200" + "8541" + Hex.of(dev.cardsmith.crypto.EcP256.encode(dev.cardsmith.crypto.EcP256.generate().getPublic())))));
                p.certificate(0x05);
                p.certificate(0x02);
                p.send(dev.cardsmith.applet.piv.Constants.INS_GET_DATA, 0x3F, 0xFF, java.util.HexFormat.of().parseHex("5C017E"));
                p.metadata(0x9A);
                p.metadata(0x80);
                p.send(dev.cardsmith.applet.piv.Constants.INS_GENERAL_AUTHENTICATE, 0x03, 0x9B, java.util.HexFormat.of().parseHex("7C028100"));
                p.send(dev.cardsmith.applet.piv.Constants.INS_RESET_RETRY_COUNTER, 0, 0x80, java.util.HexFormat.of().parseHex("3132333435363738" + "3234363831333537"));
                p.release();
            });
        }

        static void keys(RawPiv p) {
            p.admin(RawPiv.DEFAULT_MGMT);
            p.generate(0x9A, 0x11);
            p.generate(0x9D, 0x11);
            p.putCertificate(0x05, fakeCertificate());
        }

        /** Initialised card, keys in 9A and 9D, administrator and PIN verified. */
        static FuzzEngine.Target keysAdminPin() {
            return target("piv", "keys-admin-pin", PivWorld::new, (w, c) -> {
                RawPiv p = new RawPiv(c.session());
                p.changePin(PIN, NEW_PIN);
                p.verify(NEW_PIN);
                keys(p);
            }, (w, c) -> {
                RawPiv p = new RawPiv(c.session());
                p.select();
                p.verify(NEW_PIN);
                p.admin(RawPiv.DEFAULT_MGMT);
            });
        }

        /**
         * PIN blocked: the holder changed the PIN, keys in 9A and 9D, then three wrong VERIFYs
         * (6983); the PUK still has all its tries, so RESET RETRY COUNTER can unblock the PIN (a
         * valid one from the templates leaves the state: rebuilt). With {@code pukToo}, three wrong
         * RESET RETRY COUNTERs block the PUK as well: nothing unblocks the card any more. After a
         * reset the host authenticates with the management key (9B needs no PIN).
         */
        static FuzzEngine.Target pinBlocked(boolean pukToo) {
            return target("piv", pukToo ? "pin-puk-blocked" : "pin-blocked", PivWorld::new, (w, c) -> {
                RawPiv p = new RawPiv(c.session());
                p.changePin(PIN, NEW_PIN);
                p.verify(NEW_PIN);
                keys(p);
                p.release();
                byte[] wrong = RawPiv.pin("99999999");
                int sw;
                while ((sw = p.verify(wrong)) != 0x6983) require((sw & 0xFFF0) == 0x63C0, "wrong PIN", sw);
                byte[] wrongPukNewPin = java.util.HexFormat.of().parseHex("3837363534333231" + "3234363831333537");
                while (pukToo && (sw = p.send(dev.cardsmith.applet.piv.Constants.INS_RESET_RETRY_COUNTER, 0, 0x80, wrongPukNewPin).getSW()) != 0x6983) {
                    require((sw & 0xFFF0) == 0x63C0, "wrong PUK", sw);
                }
                require(p.pinTriesLeft() == 0, "PIN not blocked", 0);
            }, (w, c) -> {
                RawPiv p = new RawPiv(c.session());
                p.select();
                p.admin(RawPiv.DEFAULT_MGMT);
            }, f -> List.of(tries(f, "pins.pin") == 0, tries(f, "pins.puk") == 0));
        }

        private static int tries(StateFixture f, String pin) {
            return ((javacard.framework.OwnerPIN) f.field(pin)).getTriesRemaining();
        }

        private static void require(boolean ok, String what, int sw) {
            if (!ok) throw new IllegalStateException(what + String.format(": SW %04X", sw));
        }

        @Override Object lifecycle(StateFixture f) {
            return List.of(f.field("slots.algorithm"));
        }

        /** A DER SEQUENCE of 600 bytes: long enough for a chained PUT CERTIFICATE, parsed by nobody on the card. */
        static byte[] fakeCertificate() {
            byte[] der = new byte[600];
            der[0] = 0x30;
            der[1] = (byte) 0x82;
            der[2] = (byte) ((der.length - 4) >> 8);
            der[3] = (byte) (der.length - 4);
            for (int i = 4; i < der.length; i++) der[i] = (byte) (i * 7);
            return der;
        }
    }
}
