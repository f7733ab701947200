package dev.cardsmith.factory;

import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.vault.PublicDatabase;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.List;
import java.util.function.BiFunction;

/** A station for line tests: software HSM with development keys, a SQLite database, simulated cards in a directory. */
final class LineFixture implements AutoCloseable {
    final Path dir;
    final SoftwareHsm hsm;
    final Database db;
    /** The permanent public database: the vault stage's device records, apart from the line's store. */
    final PublicDatabase pub;
    final FactoryStore store;
    final SimulatedCards sims;
    final LocalDate today = LocalDate.now();

    LineFixture(Path dir, List<String> stages) {
        this(dir, stages, "jdbc:sqlite:" + dir.resolve("factory.db"));
    }

    LineFixture(Path dir, List<String> stages, String url) {
        this.dir = dir;
        hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "test".toCharArray());
        db = Database.open(url);
        pub = PublicDatabase.open("jdbc:sqlite:" + dir.resolve("public.db"));
        store = new FactoryStore(db);
        sims = new SimulatedCards(dir.resolve("cards"));
        LineKeys.ready(stages, hsm, db, true, () -> SoftwareHsm.open(dir.resolve("kms.p12"), "kms".toCharArray()), today);
    }

    FactoryLine line(List<String> stages, IdentityPool pool, CardSource cards) {
        return new FactoryLine(store, Stages.build(stages, hsm, db, pub, today), pool, cards, "test");
    }

    /** A line whose piv stage seals to {@code mailer}. */
    FactoryLine line(List<String> stages, IdentityPool pool, CardSource cards, dev.cardsmith.csp.PinMailer mailer) {
        return new FactoryLine(store, Stages.build(stages, hsm, db, pub, today, mailer), pool, cards, "test");
    }

    /** A line whose sim stage personalizes under {@code simTransportKey} (its cards: {@link #simCards()}). */
    FactoryLine simLine(List<String> stages, IdentityPool pool, CardSource cards, byte[] simTransportKey) {
        return new FactoryLine(store, Stages.build(stages, hsm, db, pub, today, null, simTransportKey), pool, cards, "test");
    }

    /** Cards as a line with the sim stage receives them (the sim applet awaits PERSONALIZE under the development transport key). */
    SimulatedCards simCards() {
        return SimulatedCards.forStages(dir.resolve("cards"), List.of("sim"));
    }

    int count(String sql) {
        return count(db, sql);
    }

    /** A count in the public database. */
    int countPublic(String sql) {
        return count(pub.database(), sql);
    }

    static int count(Database db, String sql) {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** Simulated cards where chosen slots get a wrapped (faulty) transport. */
    static CardSource faulty(SimulatedCards sims, BiFunction<Integer, CardTransport, CardTransport> wrap) {
        return new CardSource() {
            @Override public String describe() { return sims.describe(); }

            @Override public Card next(String runId, int slot) {
                Card c = sims.next(runId, slot);
                return new Card(c.name(), wrap.apply(slot, c.transport()));
            }

            @Override public Card reopen(String name) {
                return null; // a faulty card never comes back within the run
            }
        };
    }

    /** A transport that refuses one instruction (the card answers {@code sw}) or fails after {@code apdus} commands. */
    static CardTransport refusing(CardTransport inner, int ins, int sw) {
        return new Delegate(inner) {
            @Override public byte[] transmit(byte[] apdu) {
                if ((apdu[1] & 0xFF) == ins) return new byte[] {(byte) (sw >> 8), (byte) sw};
                return inner.transmit(apdu);
            }
        };
    }

    static CardTransport pulledAfter(CardTransport inner, int apdus) {
        return new Delegate(inner) {
            int n;

            @Override public byte[] transmit(byte[] apdu) {
                if (++n > apdus) throw new dev.cardsmith.transport.TransportException("card removed");
                return inner.transmit(apdu);
            }
        };
    }

    private abstract static class Delegate implements CardTransport {
        final CardTransport inner;

        Delegate(CardTransport inner) { this.inner = inner; }

        @Override public byte[] atr() { return inner.atr(); }

        @Override public String name() { return inner.name(); }

        @Override public void reset() { inner.reset(); }

        @Override public void close() { inner.close(); }
    }

    @Override
    public void close() {
        hsm.close();
    }
}
