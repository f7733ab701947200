package dev.cardsmith.module;

import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardSession;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;

/**
 * The module applet over one {@link ApduChannel}: a local reader ({@link #local}), a card behind
 * the network relay (the channel a {@code transport.ApduRelay} service hands over) or either of
 * them inside secure messaging ({@link #secured}). The channel decides where the card is and how
 * commands are protected; this class only knows the module's commands. Like VaultCard, PivCard
 * and PsdCard: one small class per system wrapping a channel, with typed methods.
 */
public final class ModuleCard {

    private final ApduChannel channel;

    public ModuleCard(ApduChannel channel) {
        this.channel = channel;
    }

    /** A module in a local reader; the session uses extended length or chaining as asked. */
    public static ModuleCard local(CardSession session, boolean extended) {
        session.extendedLength(extended);
        return new ModuleCard(session);
    }

    public ApduChannel channel() { return channel; }

    /** The same module with every command protected by the perso channel's secure messaging. */
    public ModuleCard secured(SessionKeys.Perso keys) {
        return new ModuleCard(new SecureMessaging(keys, channel));
    }

    /** Whether commands may use ISO extended length (else the transport chains them). */
    public boolean extendedLength() { return channel.extendedLength(); }

    public ResponseAPDU transmit(CommandAPDU command) { return channel.transmit(command); }

    /** Sends one command and expects 9000 (else CardStatusException), as {@link ApduChannel#transmitOk}. */
    public ResponseAPDU transmitOk(String operation, CommandAPDU command) {
        return channel.transmitOk(operation, command);
    }

    public ModuleCard select() {
        channel.select(ModuleApdus.INSTANCE_AID);
        return this;
    }

    // ---- identification unit and status

    public ModuleApdus.Status status() {
        return ModuleApdus.parseStatus(transmitOk("GET STATUS", ModuleApdus.getStatus(0)).getData());
    }

    /** The identity certificate (GET STATUS 01). */
    public CvCertificate identityCertificate() {
        return CvCertificate.parse(transmitOk("GET STATUS", ModuleApdus.getStatus(1)).getData());
    }

    /** The module certificate (GET STATUS 02), present in the operating state. */
    public CvCertificate moduleCertificate() {
        return CvCertificate.parse(transmitOk("GET STATUS", ModuleApdus.getStatus(2)).getData());
    }

    /** The identification unit hands the TAN to the module; the module forwards it protected later. */
    public void enterTan(String tan) {
        if (tan == null || !tan.matches("[0-9]{4,16}")) throw new ModuleException("a TAN is 4-16 decimal digits");
        transmitOk("ENTER TAN", ModuleApdus.enterTan(tan));
    }

    /** Claim 2: back to the personalization state, from the personalization state (no authorization needed). */
    public void enterPersonalization() {
        transmitOk("ENTER PERSONALIZATION", ModuleApdus.enterPersonalization());
    }

    /** Claim 2 from the operating state: with a release authorization for the last {@link #releaseChallenge}. */
    public void enterPersonalization(byte[] derSignature) {
        transmitOk("ENTER PERSONALIZATION", ModuleApdus.enterPersonalization(derSignature));
    }

    /** A one-time challenge for the release authorization, with the module key it releases. */
    public ModuleApdus.ReleaseChallenge releaseChallenge() {
        return ModuleApdus.parseReleaseChallenge(transmitOk("RELEASE CHALLENGE", ModuleApdus.releaseChallenge()).getData());
    }

    // ---- manufacturing

    public void setCheckingKey(byte[] point) {
        transmitOk("SET CHECKING KEY", ModuleApdus.setCheckingKey(point));
    }

    /** Generates the identity key pair; returns its public point. */
    public byte[] generateIdentity() {
        return transmitOk("GENERATE IDENTITY", ModuleApdus.generateIdentity()).getData();
    }

    public void storeIdentityCertificate(byte[] cert) {
        transmitOk("STORE IDENTITY CERT", ModuleApdus.storeIdentityCert(cert, extendedLength()));
    }

    // ---- personalization (AUTHENTICATE and STORE CERTS go through a {@link #secured} card)

    public byte[] persoInitiate(byte[] persoCert, byte[] ephemeralPoint) {
        return transmitOk("PERSO INITIATE", ModuleApdus.persoInitiate(persoCert, ephemeralPoint, extendedLength())).getData();
    }

    public byte[] persoAuthenticate(byte[] data) {
        return transmitOk("PERSO AUTHENTICATE", ModuleApdus.persoAuthenticate(data)).getData();
    }

    public byte[] persoStoreCerts(byte[] data) {
        return transmitOk("PERSO STORE CERTS", ModuleApdus.persoStoreCerts(data, extendedLength())).getData();
    }

    // ---- central system

    public byte[] centralAuthenticate(byte[] ephemeralPoint) {
        return transmitOk("CENTRAL AUTHENTICATE", ModuleApdus.centralAuthenticate(ephemeralPoint, extendedLength())).getData();
    }

    public void centralConfirm(byte[] derSignature) {
        transmitOk("CENTRAL CONFIRM", ModuleApdus.centralConfirm(derSignature));
    }

    public byte[] transaction(byte[] counterPayloadMac) {
        return transmitOk("TRANSACTION", ModuleApdus.transaction(counterPayloadMac)).getData();
    }
}
