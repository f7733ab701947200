package dev.cardsmith.fuzz;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.psd.AccessServer;
import dev.cardsmith.psd.PsdApdus;
import dev.cardsmith.psd.PsdStatus;
import dev.cardsmith.psd.Scp03;

import javax.smartcardio.CommandAPDU;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The PSD with an open SCP03 session (security level 33: C-MAC, C-DECRYPTION, R-MAC, R-ENC) and
 * the executive unlocked, reached the way the access server's post-issuance flows reach it:
 * {@link AccessServer#issue}, then {@link AccessServer#openSecureChannel} (INITIALIZE UPDATE,
 * EXTERNAL AUTHENTICATE with the MK diversified for this PSD) and UNLOCK with the KRK proof
 * {@link AccessServer#unlockProof} computes for the session's challenges.
 *
 * <p>Fuzzed commands arrive inside that session: the captured wire commands (plain, or wrapped
 * with another session's MAC), and plain commands (UNLOCK, RECOVER, REPLACE MK, CHANGE KRK,
 * GET DATA, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, INJECT KEYS), mutated and then wrapped
 * with this session's keys (so they get past the C-MAC and C-DECRYPTION to the handlers),
 * sometimes mutated again after wrapping (MAC bit, header byte, secure-messaging bit, replay of
 * the previous command, truncation). Whenever the card has dropped the session (GP: any
 * secure-messaging error, a plain command) the next case first opens a new one the same way.
 *
 * <p>Two extra invariants here: a command that does not carry this session's valid C-MAC must
 * change no persistent state, whatever status word it gets ({@link Declarations.Refusal#NO_VALID_MAC});
 * and it must not leave the session open where GlobalPlatform ends it ({@link #sessionRule}).
 */
final class PsdSessionState {

    private PsdSessionState() {}

    static FuzzEngine.Target target() {
        return new FuzzEngine.Target("psd", "session", () -> {
            AppletStates.PsdWorld w = AppletStates.world("psd", AppletStates.PsdWorld::new);
            SimulatedCard c = w.newCard();
            w.access.issue(c.session());
            c.stopRecording();
            Cases gen = new Cases(w.access, c, w.mutator());
            gen.open();
            return new StateFixture(c) {
                @Override CaseGenerator generator() { return gen; }
                @Override Object lifecycle() {
                    // the world's state byte, and whether wrong UNLOCK proofs blocked the executive (rebuilt then)
                    return List.of(w.lifecycle(this), vars(this)[3] == 0);
                }
                @Override void refresh() {
                    c.select();
                    gen.open();
                }
                @Override Declarations.Refusal refusal(byte[] apdu, byte[] response) {
                    Declarations.Refusal r = super.refusal(apdu, response);
                    return r != null || gen.validlyWrapped.contains(apdu) ? r : Declarations.Refusal.NO_VALID_MAC;
                }
                @Override String violation(byte[] apdu, byte[] response) {
                    return gen.validlyWrapped.contains(apdu) || !sessionOpen(c) ? null : sessionRule(apdu, FuzzEngine.sw(response));
                }
            };
        });
    }

    /**
     * What GlobalPlatform says of a command without this session's valid C-MAC that left the
     * session open: null when that is fine. Refused as a security error (6982: a C-MAC,
     * cryptogram or padding failure) it must have ended the session (GP CS v2.3 Amendment D
     * 6.2.4); a plain command the card accepted (other than GET DATA, which the PSD answers
     * outside the session, and the non-final parts of a chain) must have ended it too (GP CS 10.2:
     * a command below the session's security level ends the session).
     */
    static String sessionRule(byte[] apdu, int sw) {
        if (sw == 0x6982) return "SCP03 session still open after a command without a valid C-MAC was refused with 6982";
        boolean plainFinal = apdu.length > 1 && (apdu[0] & 0x14) == 0;
        if (sw == 0x9000 && plainFinal && apdu[1] != PsdProtocol.INS_GET_DATA) {
            return "SCP03 session still open after a plain command was accepted";
        }
        return null;
    }

    private static byte[] vars(StateFixture f) {
        Object p = SimulatedCard.read(f.card.applet().getClass(), f.card.applet(), "p");
        return (byte[]) SimulatedCard.read(p.getClass(), p, "vars");
    }

    /** Whether the applet's secure channel is in the AUTHENTICATED state (its transient flags). */
    static boolean sessionOpen(SimulatedCard c) {
        Object sc = SimulatedCard.read(c.applet().getClass(), c.applet(), "sc");
        return ((byte[]) SimulatedCard.read(sc.getClass(), sc, "flags"))[0] == 2;
    }

    static final class Cases implements CaseGenerator {
        private final AccessServer access;
        private final SimulatedCard card;
        private final ApduMutator wire;
        private ApduMutator plain;
        private Scp03 scp;
        private byte[] previous;
        /** The APDUs of the current case that carry this session's valid C-MAC (by identity). */
        final Set<byte[]> validlyWrapped = Collections.newSetFromMap(new IdentityHashMap<>());

        Cases(AccessServer access, SimulatedCard card, ApduMutator wire) {
            this.access = access;
            this.card = card;
            this.wire = wire;
        }

        /** A new session as the access server opens one, unlocked with the KRK proof (refused once blocked: then only the channel). */
        void open() {
            PsdStatus st = access.select(card.session());
            scp = access.openSecureChannel(card.session(), st, st.mkVersion(), AccessServer.SECURITY_LEVEL);
            card.session().transmit(scp.wrap(PsdApdus.unlock(access.unlockProof(st, scp.context()))));
            if (plain == null) plain = new ApduMutator(PsdProtocol.class, plainTemplates(st));
        }

        /** The commands of an unlocked session in their plain form, before C-DECRYPTION and C-MAC. */
        private static List<Command> plainTemplates(PsdStatus st) {
            SplittableRandom r = new SplittableRandom(st.mkVersion());
            List<CommandAPDU> c = List.of(
                    PsdApdus.getStatus(),
                    PsdApdus.unlock(bytes(r, PsdProtocol.PROOF_LEN)),
                    PsdApdus.recover(bytes(r, PsdProtocol.PROOF_LEN)),
                    PsdApdus.replaceMk(Math.min(st.mkVersion() + 1, 0x7F), bytes(r, PsdProtocol.WRAPPED_KEY_SET_LEN)),
                    PsdApdus.changeKrk(Math.min(st.krkVersion() + 1, 0x7F), bytes(r, PsdProtocol.WRAPPED_KEY_LEN)),
                    PsdApdus.injectKeys(1, bytes(r, PsdProtocol.WRAPPED_KEY_LEN), 1, bytes(r, PsdProtocol.WRAPPED_KEY_SET_LEN)),
                    new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_INITIALIZE_UPDATE, st.mkVersion(), 0, bytes(r, PsdProtocol.CHALLENGE_LEN)),
                    new CommandAPDU(PsdProtocol.CLA_GP_SM & 0xFF, PsdProtocol.INS_EXTERNAL_AUTHENTICATE, AccessServer.SECURITY_LEVEL, 0,
                            bytes(r, PsdProtocol.CRYPTOGRAM_LEN)));
            List<Command> out = new ArrayList<>();
            for (CommandAPDU a : c) out.add(Command.decode(a.getBytes()));
            return out;
        }

        private static byte[] bytes(SplittableRandom r, int n) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            return b;
        }

        @Override
        public Case generate(long seed) {
            validlyWrapped.clear();
            if (!sessionOpen(card)) open();
            SplittableRandom r = new SplittableRandom(seed);
            if (r.nextInt(10) < 3) return wire.generate(seed); // plain or stale: ends the session (GP CS 10.2)
            Case base = plain.generate(r.nextLong());
            StringBuilder how = new StringBuilder("in session: ").append(base.recipe());
            List<byte[]> out = new ArrayList<>();
            for (byte[] a : base.apdus()) {
                Command cmd = Command.decode(a);
                byte[] w = cmd == null || r.nextInt(8) == 0 ? a : wrap(cmd);
                if (w == null) w = a;
                boolean valid = w != a;
                how.append(valid ? " [wrapped" : " [plain");
                if (valid && r.nextInt(4) == 0) {
                    w = afterWrapping(r, w, how);
                    valid = false;
                }
                how.append(']');
                if (valid) validlyWrapped.add(w);
                previous = w;
                out.add(w);
            }
            return new Case(seed, out, how.toString());
        }

        /** {@link #wrap}, the result counted as carrying this session's valid C-MAC (until the next case). */
        byte[] wrapValid(Command c) {
            byte[] w = wrap(c);
            if (w != null) validlyWrapped.add(w);
            return w;
        }

        /** C-DECRYPTION and C-MAC with this session's keys (advances the host's MAC chain); null when the command cannot be wrapped. */
        private byte[] wrap(Command c) {
            try {
                byte[] data = c.data();
                CommandAPDU plainApdu = c.le() >= 0
                        ? new CommandAPDU(c.cla(), c.ins(), c.p1(), c.p2(), data, 0, data.length, c.le())
                        : new CommandAPDU(c.cla(), c.ins(), c.p1(), c.p2(), data);
                return scp.wrap(plainApdu).getBytes();
            } catch (RuntimeException e) {
                return null;
            }
        }

        /** A mutation after the MAC was computed: the card must refuse it and drop the session. */
        private byte[] afterWrapping(SplittableRandom r, byte[] w, StringBuilder how) {
            byte[] m = w.clone();
            switch (r.nextInt(5)) {
                case 0 -> {
                    int dataEnd = m.length - (r.nextBoolean() ? 1 : 0);
                    int i = Math.max(4, dataEnd - 1 - r.nextInt(8));
                    m[i] ^= (byte) (1 << r.nextInt(8));
                    how.append(" bit flipped@").append(i);
                }
                case 1 -> {
                    int i = 1 + r.nextInt(3);
                    m[i] ^= (byte) (1 + r.nextInt(255));
                    how.append(" header byte ").append(i).append(" changed after MAC");
                }
                case 2 -> {
                    m[0] &= (byte) ~0x04;
                    how.append(" SM bit cleared");
                }
                case 3 -> {
                    if (previous != null) {
                        how.append(" replay of the previous command");
                        return previous.clone();
                    }
                    how.append(" (nothing to replay)");
                }
                default -> {
                    m = Arrays.copyOf(m, 4 + r.nextInt(Math.max(1, m.length - 4)));
                    how.append(" truncated to ").append(m.length);
                }
            }
            return m;
        }
    }
}
