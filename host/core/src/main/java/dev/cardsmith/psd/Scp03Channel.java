package dev.cardsmith.psd;

import dev.cardsmith.transport.ApduChannel;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;

/**
 * An open SCP03 session as a wrapper around another {@link ApduChannel} (GlobalPlatformPro's
 * SecureChannelWrapper shape): {@link #transmit} takes a plain command, applies C-DECRYPTION and
 * C-MAC as the security level asks, sends it, and returns the response with its R-MAC checked
 * and R-ENCRYPTION removed ({@link Scp03.Scp03Exception} when the R-MAC does not verify). A
 * response other than 9000 carries no R-MAC and is passed up unchanged. The wire work (pure
 * functions, checked against published traces) stays in {@link Scp03}.
 */
public final class Scp03Channel implements ApduChannel, AutoCloseable {

    private final ApduChannel inner;
    private final Scp03 scp;

    private Scp03Channel(ApduChannel inner, Scp03 scp) {
        this.inner = inner;
        this.scp = scp;
    }

    /**
     * INITIALIZE UPDATE with key version {@code kvn} (00 = the card's default, then name the
     * expected version with {@link Scp03#expectKeyVersion}); checks the key information and the
     * card cryptogram. Returns the session state; nothing is authenticated yet.
     */
    public static Scp03 initializeUpdate(ApduChannel inner, Scp03 scp, int kvn) {
        return initializeUpdate(inner, scp, scp.initializeUpdate(kvn));
    }

    private static Scp03 initializeUpdate(ApduChannel inner, Scp03 scp, CommandAPDU initializeUpdate) {
        ResponseAPDU iu = inner.transmitOk("INITIALIZE UPDATE", initializeUpdate);
        scp.onInitializeUpdateResponse(iu.getData());
        return scp;
    }

    /** INITIALIZE UPDATE + EXTERNAL AUTHENTICATE at {@code securityLevel}: the open channel. */
    public static Scp03Channel open(ApduChannel inner, Scp03 scp, int kvn, int securityLevel) {
        return authenticate(inner, initializeUpdate(inner, scp, kvn), securityLevel);
    }

    /** {@link #open} with a given host challenge (known-answer tests replay published traces). */
    static Scp03Channel open(ApduChannel inner, Scp03 scp, int kvn, byte[] hostChallenge, int securityLevel) {
        return authenticate(inner, initializeUpdate(inner, scp, scp.initializeUpdate(kvn, hostChallenge)), securityLevel);
    }

    private static Scp03Channel authenticate(ApduChannel inner, Scp03 scp, int securityLevel) {
        inner.transmitOk("EXTERNAL AUTHENTICATE", scp.externalAuthenticate(securityLevel));
        return new Scp03Channel(inner, scp);
    }

    /** The session state (context for proofs bound to this session, key version). */
    public Scp03 session() { return scp; }

    @Override
    public boolean extendedLength() { return inner.extendedLength(); }

    @Override
    public ResponseAPDU transmit(CommandAPDU plain) {
        ResponseAPDU r = inner.transmit(scp.wrap(plain));
        if (!Scp03.nonError(r.getSW())) return r;
        return ApduChannel.withData(r, scp.unwrap(r));
    }

    /** Forgets the session keys. */
    @Override
    public void close() {
        scp.wipe();
    }
}
