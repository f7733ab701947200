package dev.cardsmith.fuzz;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.module.CentralSystem;
import dev.cardsmith.module.ModuleApdus;
import dev.cardsmith.module.ModuleCard;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The module with an agreed transaction key, reached as the central system reaches it:
 * {@code Manufacturing.enroll}, ENTER TAN and {@code PersonalizationUnit.personalize} (operating),
 * then {@link CentralSystem#authenticate} (CENTRAL AUTHENTICATE, CENTRAL CONFIRM: the module
 * stores the transaction key and resets its counter) and one {@link CentralSystem#transact}.
 *
 * <p>Half of the cases are the world's mutated commands; the other half are TRANSACTIONs MAC'd
 * with the agreed key, which only the central system's HSM holds (so they get past the MAC to
 * the counter and length checks): counter next, equal (replay), one below, 0, FFFFFFFF, far ahead;
 * payload empty, short, at and above MAX_TX_PAYLOAD; MAC right, bit-flipped, truncated, or
 * computed with the receipt context 'R'; sometimes the same command twice (the second is a replay).
 */
final class ModuleTransactionState {

    private ModuleTransactionState() {}

    static FuzzEngine.Target target() {
        return new FuzzEngine.Target("module", "transaction", () -> {
            AppletStates.ModuleWorld w = AppletStates.world("module", AppletStates.ModuleWorld::new);
            SimulatedCard c = w.newCard();
            String id = w.enroll(c);
            AppletStates.ModuleWorld.personalize(w, c, id);
            CentralSystem central = new CentralSystem(w.ca);
            central.authenticate(ModuleCard.local(c.session(), true), AppletStates.TODAY);
            central.transact(ModuleCard.local(c.session(), false), id, "fuzz".getBytes(StandardCharsets.US_ASCII));
            c.stopRecording();
            String label = w.ca.store().centralKey(id).orElseThrow().label();
            Transactions gen = new Transactions(w, c, label);
            return new StateFixture(c) {
                @Override CaseGenerator generator() { return gen; }
                @Override Object lifecycle() { return List.of(w.lifecycle(this), field("p.transactionKeySet")); }
            };
        });
    }

    static final class Transactions implements CaseGenerator {
        private final ApduMutator mutator;
        private final AppletStates.ModuleWorld world;
        private final SimulatedCard card;
        private final String label;

        Transactions(AppletStates.ModuleWorld world, SimulatedCard card, String label) {
            this.mutator = world.mutator();
            this.world = world;
            this.card = card;
            this.label = label;
        }

        @Override
        public Case generate(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            if (r.nextBoolean()) return mutator.generate(r.nextLong());
            StringBuilder how = new StringBuilder("TRANSACTION");
            long last = counter();
            long[] counters = {last + 1, last, last - 1, 0, 0xFFFF_FFFFL, last + 1000};
            int ci = r.nextInt(10) < 4 ? 0 : r.nextInt(counters.length);
            long counter = counters[ci] & 0xFFFF_FFFFL;
            how.append(" counter ").append(new String[] {"next", "replayed", "below", "0", "FFFFFFFF", "+1000"}[ci]);
            int max = Constants.MAX_TX_PAYLOAD;
            int len = switch (r.nextInt(5)) {
                case 0 -> 0;
                case 1 -> max;
                case 2 -> max + 1 + r.nextInt(64);
                default -> r.nextInt(1, 64);
            };
            how.append(" payload ").append(len);
            byte[] payload = new byte[len];
            r.nextBytes(payload);
            byte[] data = ByteBuffer.allocate(4 + len).putInt((int) counter).put(payload).array();
            byte context = Constants.MAC_CONTEXT_TX;
            int macMut = r.nextInt(10);
            if (macMut == 7) { context = Constants.MAC_CONTEXT_RX; how.append(" MAC with 'R'"); }
            byte[] ctx = new byte[data.length + 1];
            ctx[0] = context;
            System.arraycopy(data, 0, ctx, 1, data.length);
            byte[] mac = world.hsm.aesCmac(label, ctx);
            if (macMut == 8) { mac[r.nextInt(mac.length)] ^= (byte) (1 << r.nextInt(8)); how.append(" MAC bit flipped"); }
            if (macMut == 9) { mac = java.util.Arrays.copyOf(mac, 8); how.append(" MAC truncated to 8"); }
            byte[] body = new byte[data.length + mac.length];
            System.arraycopy(data, 0, body, 0, data.length);
            System.arraycopy(mac, 0, body, data.length, mac.length);
            Command cmd = Command.decode(ModuleApdus.transaction(body).getBytes());
            List<byte[]> out = new ArrayList<>(r.nextInt(3) == 0 ? frameTwice(cmd, how) : ApduMutator.frame(r, cmd, how));
            return new Case(seed, out, how.toString());
        }

        private static List<byte[]> frameTwice(Command c, StringBuilder how) {
            how.append(" sent twice");
            return List.of(c.encode(), c.encode());
        }

        /** The module's last accepted transaction counter (EEPROM). */
        private long counter() {
            return card.counter("p", "transactionCounter");
        }
    }
}
