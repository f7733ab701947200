package dev.cardsmith.psd;

import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardsmithAids;

/**
 * The PSD applet over one {@link ApduChannel}: the plain channel for SELECT, status, INJECT KEYS
 * and the SCP03 handshake, or an open {@link Scp03Channel} ({@link #secured}) for the commands
 * the security executive only takes inside SCP03 (UNLOCK, REPLACE MK). One small class per
 * system wrapping a channel, with typed methods, like VaultCard, PivCard and ModuleCard.
 */
public final class PsdCard {

    public static final byte[] AID = CardsmithAids.PSD.instanceAid();

    private final ApduChannel channel;

    public PsdCard(ApduChannel channel) {
        this.channel = channel;
    }

    public ApduChannel channel() { return channel; }

    /** SELECT; the PSD answers with its status inside the FCI. */
    public PsdStatus select() {
        return PsdStatus.fromSelect(channel.select(AID));
    }

    /** GET DATA 00DF: the public status. */
    public PsdStatus status() {
        return PsdStatus.parse(channel.transmitOk("GET DATA status", PsdApdus.getStatus()).getData());
    }

    /** INJECT KEYS (accepted once): KRK and the MK key set wrapped under the transport key. */
    public void injectKeys(int krkVersion, byte[] wrappedKrk, int mkVersion, byte[] wrappedKeySet) {
        channel.transmitOk("INJECT KEYS", PsdApdus.injectKeys(krkVersion, wrappedKrk, mkVersion, wrappedKeySet));
    }

    /** INITIALIZE UPDATE only: proves the card holds the MK behind {@code scp} (card cryptogram). */
    public Scp03 initializeUpdate(Scp03 scp, int kvn) {
        return Scp03Channel.initializeUpdate(channel, scp, kvn);
    }

    /** Opens SCP03 at {@code securityLevel}; UNLOCK and REPLACE MK go through the returned card. */
    public Secured openSecureChannel(Scp03 scp, int kvn, int securityLevel) {
        return new Secured(Scp03Channel.open(channel, scp, kvn, securityLevel));
    }

    /** The PSD inside an open SCP03 session. */
    public static final class Secured implements AutoCloseable {
        private final Scp03Channel channel;

        Secured(Scp03Channel channel) {
            this.channel = channel;
        }

        public Scp03Channel channel() { return channel; }

        /** Host challenge || card challenge: what a proof bound to this session covers. */
        public byte[] context() { return channel.session().context(); }

        /** UNLOCK the security executive with the KRK proof over {@link #context()}. */
        public void unlock(byte[] proof) {
            channel.transmitOk("UNLOCK", PsdApdus.unlock(proof));
        }

        /** RECOVER a blocked executive with the KRK recovery proof over {@link #context()}; unlocks it. */
        public void recover(byte[] proof) {
            channel.transmitOk("RECOVER", PsdApdus.recover(proof));
        }

        /** CHANGE KRK (atomic on the card, relocks); returns the confirmed KRK version. */
        public int changeKrk(int newVersion, byte[] wrappedKrk) {
            return PsdApdus.confirmedVersion(channel.transmitOk("CHANGE KRK", PsdApdus.changeKrk(newVersion, wrappedKrk)).getData());
        }

        /** REPLACE MK (delete + install + relock, atomic on the card); returns the confirmed version. */
        public int replaceMk(int newVersion, byte[] wrappedKeySet) {
            return PsdApdus.confirmedVersion(channel.transmitOk("REPLACE MK", PsdApdus.replaceMk(newVersion, wrappedKeySet)).getData());
        }

        /** Forgets the session keys (the card closes its side after REPLACE MK). */
        @Override
        public void close() {
            channel.close();
        }
    }
}
