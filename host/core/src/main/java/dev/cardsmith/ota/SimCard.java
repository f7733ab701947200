package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardsmithAids;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;

/**
 * The sim applet over one {@link ApduChannel}, one typed method per command: the OTA server's
 * ENVELOPE (SMS-PP download) and the terminal's trust protocol. Protection of the trust protocol
 * (proofs, session keys) stays with the {@code terminal.Terminal}, of OTA packets with the
 * {@link OtaServer}; this class only knows the commands. One small class per system wrapping a
 * channel, like VaultCard, PsdCard, ModuleCard and PivCard.
 */
public final class SimCard {

    public static final byte[] AID = CardsmithAids.SIM.instanceAid();

    private final ApduChannel channel;

    public SimCard(ApduChannel channel) {
        this.channel = channel;
    }

    public ApduChannel channel() { return channel; }

    /** SELECT; the answer carries a fresh challenge and the trust state. */
    public byte[] select() {
        return channel.select(AID);
    }

    /** One ENVELOPE; the status word is the caller's to judge (the PoR comes back as data). */
    public ResponseAPDU envelope(byte[] envelope) {
        return channel.transmit(OtaServer.envelopeApdu(envelope));
    }

    public byte[] getChallenge() {
        return ok("GET CHALLENGE", Constants.INS_GET_CHALLENGE, 0, null);
    }

    /** AUTHENTICATE (plain, or as the update before expiry). */
    public byte[] authenticate(boolean update, byte[] data) {
        return ok("AUTHENTICATE", Constants.INS_AUTHENTICATE, update ? Constants.P1_AUTH_UPDATE : Constants.P1_AUTH_PLAIN, data);
    }

    /** ACK of a delivered trust key: generation || tag. */
    public byte[] ack(byte[] generationAndTag) {
        return ok("ACK", Constants.INS_ACK, 0, generationAndTag);
    }

    public byte[] poll() {
        return ok("POLL", Constants.INS_POLL, 0, null);
    }

    public byte[] contentKey(int contentId) {
        return ok("GET CONTENT KEY", Constants.INS_GET_CONTENT_KEY, 0, new byte[] {(byte) (contentId >> 8), (byte) contentId});
    }

    /** GET SIM CERTIFICATE: the SIM's public point (65) || the operator's certificate (DER). */
    public byte[] simCertificate() {
        return ok("GET SIM CERTIFICATE", Constants.INS_GET_SIM_CERTIFICATE, 0, null);
    }

    public byte[] revoke() {
        return ok("REVOKE", Constants.INS_TERMINAL_REVOKE, 0, null);
    }

    private byte[] ok(String operation, byte ins, int p1, byte[] data) {
        CommandAPDU c = data == null
                ? new CommandAPDU(Constants.CLA_PROPRIETARY, ins, p1, 0, 256)
                : new CommandAPDU(Constants.CLA_PROPRIETARY, ins, p1, 0, data, 256);
        return channel.transmitOk(operation, c).getData();
    }
}
