package dev.cardsmith.psd;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.hsm.SoftHsmFixture;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.support.CardUnderTest;

import java.nio.file.Path;

/**
 * The two servers, their HSMs and the store, set up for PSD tests: KMS initialised, keys
 * transferred (with the private key), development transport key imported.
 */
final class PsdWorld implements AutoCloseable {
    final Hsm kmsHsm;
    final Hsm accessHsm;
    final Database db;
    final KeyManagementServer kms;
    final AccessServer access;
    final PsdStore store;

    private PsdWorld(Hsm kmsHsm, Hsm accessHsm, Database db) {
        this.kmsHsm = kmsHsm;
        this.accessHsm = accessHsm;
        this.db = db;
        this.kms = new KeyManagementServer(kmsHsm);
        this.store = new PsdStore(db);
        this.access = new AccessServer(accessHsm, store);
        kms.init();
        transfer();
        if (access.latestTransportKeyVersion() == 0) access.importTransportKey(Hex.parse(PsdKeys.DEV_TRANSPORT_KEY_HEX));
    }

    /** Both HSMs as PKCS#12 files in {@code dir}. */
    static PsdWorld software(Path dir) {
        return new PsdWorld(HsmFactory.open("pkcs12:" + dir.resolve("kms.p12"), "kms-pw".toCharArray()),
                HsmFactory.open("pkcs12:" + dir.resolve("access.p12"), "access-pw".toCharArray()),
                Database.open("jdbc:sqlite:" + dir.resolve("psd.db")));
    }

    /** Software HSMs with a given database (PostgreSQL test). */
    static PsdWorld with(Path dir, Database db) {
        return new PsdWorld(HsmFactory.open("pkcs12:" + dir.resolve("kms.p12"), "kms-pw".toCharArray()),
                HsmFactory.open("pkcs12:" + dir.resolve("access.p12"), "access-pw".toCharArray()), db);
    }

    /** Both HSMs as SoftHSM2 tokens (KMS token and access-server token). */
    static PsdWorld softHsm(Path dir) {
        return new PsdWorld(SoftHsmFixture.open(SoftHsmFixture.TOKEN_KMS), SoftHsmFixture.open(SoftHsmFixture.TOKEN),
                Database.open("jdbc:sqlite:" + dir.resolve("psd.db")));
    }

    void transfer() {
        access.importKeys(kms.export(access.keyTransferImportKey(), true));
    }

    /** KMS generates the next MK block and transfers it; returns its version. */
    int rotate() {
        int v = kms.rotateMasterKeyBlock();
        transfer();
        return v;
    }

    static CardSession newCard() {
        return new CardSession(CardUnderTest.fresh());
    }

    static CardSession on(CardTransport t) {
        return new CardSession(t);
    }

    @Override
    public void close() {
        kmsHsm.close();
        accessHsm.close();
    }
}
