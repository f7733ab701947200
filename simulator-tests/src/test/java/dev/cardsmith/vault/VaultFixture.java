package dev.cardsmith.vault;

import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.support.CardUnderTest;

import java.nio.file.Path;
import java.util.List;

/** A simulated card with the vault, a temp public DB, a temp secure DB and a temp keystore. */
final class VaultFixture implements AutoCloseable {
    static final String IMEI = "490154203237518";
    static final String IMEI2 = "356938035643809";

    final Path dir;
    final SoftwareHsm hsm;
    final VaultKeys keys;
    final PublicDatabase publicDb;
    /** The operations store: the journal and every other private record, never the public database. */
    final Database operations;
    final OperationJournal journal;
    final KeyPool pool;
    CardSession session;
    /** The card underneath {@link #session} (for tests that put a reader between host and card). */
    dev.cardsmith.transport.CardTransport transport;
    VaultCard card;

    VaultFixture(Path dir) {
        this.dir = dir;
        hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "test".toCharArray());
        keys = new VaultKeys(hsm);
        publicDb = PublicDatabase.open("jdbc:sqlite:" + dir.resolve("public.db"));
        operations = Database.open("jdbc:sqlite:" + dir.resolve("cardsmith.db"));
        journal = new OperationJournal(operations);
        pool = new KeyPool(Database.open("jdbc:sqlite:" + dir.resolve("secure.db")), hsm);
        transport = CardUnderTest.fresh(List.of(vaultSpec(new byte[0])));
        session = new CardSession(transport);
        card = new VaultCard(session);
    }

    static AppletSpec vaultSpec(byte[] params) {
        return AppletRegistry.byName("vault").withInstallParams(params);
    }

    /** Replaces the card by a fresh one (another chip). */
    VaultCard newCard(byte[] installParams) {
        session.close();
        transport = CardUnderTest.fresh(List.of(vaultSpec(installParams)));
        session = new CardSession(transport);
        card = new VaultCard(session);
        return card;
    }

    SecureProcessingPoint spp(boolean usePool) {
        return new SecureProcessingPoint(keys, publicDb, journal, usePool ? pool : null);
    }

    @Override
    public void close() {
        session.close();
        hsm.close();
    }
}
