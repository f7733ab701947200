package dev.cardsmith.module;

import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardUnderTest;

import java.nio.file.Path;
import java.time.LocalDate;

/** CA, store and a jCardSim module for the end-to-end tests of system 002. */
final class ModuleFixture implements AutoCloseable {

    static final LocalDate TODAY = LocalDate.now();

    final Path dir;
    final Hsm hsm;
    final Database db;
    final ModuleStore store;
    final CertificateAuthority ca;
    final CardSession session;

    ModuleFixture(Path dir) {
        this.dir = dir;
        hsm = HsmFactory.open("pkcs12:" + dir.resolve("keystore.p12"), "test".toCharArray());
        db = Database.open("jdbc:sqlite:" + dir.resolve("cardsmith.db"));
        store = new ModuleStore(db);
        ca = new CertificateAuthority(hsm, store);
        ca.init(TODAY);
        session = newCard();
    }

    static CardSession newCard() {
        return new CardSession(CardUnderTest.fresh("module"));
    }

    /** Enrolls the module (checking key, identity key + certificate) and issues one TAN. */
    String enroll() {
        return new Manufacturing(ca).enroll(session, TODAY).moduleId();
    }

    String issueTan(String moduleId) {
        return new TanIssuer(ca).issue(moduleId, 1).get(0);
    }

    ModuleCard card(boolean extended) {
        return ModuleCard.local(session, extended);
    }

    void select() {
        session.select(ModuleApdus.INSTANCE_AID);
    }

    void enterTan(String tan) {
        card(false).transmitOk("ENTER TAN", ModuleApdus.enterTan(tan));
    }

    ModuleApdus.Status status() {
        return ModuleApdus.parseStatus(card(false).transmitOk("GET STATUS", ModuleApdus.getStatus(0)).getData());
    }

    @Override
    public void close() {
        session.close();
        hsm.close();
    }

    PersoSession persoSession(boolean extended) {
        return new PersoSession(card(extended), body -> hsm.signSha256WithEcdsa(CertificateAuthority.PERSO_UNIT_LABEL, body));
    }

    /** Module certificate as the real perso unit would issue it (HSM perso key), with chosen key and nonce. */
    CvCertificate moduleCert(byte[] point, byte[] nonce) {
        return CvCertificate.issue(CertificateAuthority.PERSO_UNIT_CHR, "ZZMTEST0000001", point, CvCertificate.Role.MODULE, nonce,
                TODAY, TODAY.plusYears(2), body -> hsm.signSha256WithEcdsa(CertificateAuthority.PERSO_UNIT_LABEL, body));
    }

    /** Full personalization through the perso unit; returns the module's result. */
    PersonalizationUnit.Result personalize(boolean extended) {
        enterTan(issueTan(moduleIdOnCard()));
        return new PersonalizationUnit(ca).personalize(card(extended), TODAY, null);
    }

    /** An operating module back to personalization with the central system's release authorization. */
    void release() {
        new CentralSystem(ca).release(card(true));
    }

    String moduleIdOnCard() {
        return Manufacturing.moduleIdOf(CvCertificate.parse(card(false).transmitOk("GET STATUS", ModuleApdus.getStatus(1)).getData()));
    }

    int sw(javax.smartcardio.CommandAPDU c) {
        return session.transmit(c).getSW();
    }
}
