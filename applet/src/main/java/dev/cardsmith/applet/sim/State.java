package dev.cardsmith.applet.sim;

import dev.cardsmith.applet.platform.P256;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;

/**
 * Persistent state of the sim applet, allocated once at install. Trust keys live in two slots
 * (active / pending) selected by one byte, so an update replaces the key by flipping that byte
 * inside one transaction: a tear leaves the old key or the new key, never none.
 */
final class State {

    // OTA key sets (TS 102 225): KIc, KID with their indexes; TAR, MSL, counter (one for all sets)
    final KeySets keys = new KeySets();
    final byte[] tar = new byte[Constants.TAR_LEN];
    byte msl;
    final byte[] counter = new byte[Constants.CNTR_LEN];
    boolean otaPersonalized;
    /** The transport key of the install parameters: PERSONALIZE only under it, cleared once personalized. */
    final AESKey transportKey;
    boolean hasTransportKey;

    // trust model
    byte trustState;
    byte keyType;
    /**
     * Initialization key, double slot: INIT_TRUST writes the inactive slot before its transaction
     * (unreachable then) and the transaction flips initSlot together with key type, IMEI, max
     * output, expiry and state, so a tear leaves the old initialization or the new one, never a
     * cleared key or a new key with the old characteristics (Key.setKey is not transactional).
     */
    final AESKey[] initKey = new AESKey[2];
    final ECPublicKey[] initPub = new ECPublicKey[2];
    byte initSlot;
    /**
     * Set in the transaction that makes key objects unreachable (INIT_TRUST, revocation, ACK,
     * LICENSE delete/replace), and before the packet transaction when a key is staged (INIT_TRUST,
     * LICENSE put);
     * {@link #finishClear()} clears them after the commit, or the next command after a tear.
     */
    boolean clearPending;
    final byte[] imei = new byte[Constants.IMEI_LEN];
    byte maxOutput;
    short initExpiry;
    short lifetime;
    short currentDate;
    byte failCount;
    boolean updateRequested;

    final AESKey[] trustEnc = new AESKey[2];
    final AESKey[] trustMac = new AESKey[2];
    byte activeSlot;
    byte generation;
    short expiry;
    boolean hasPending;
    byte pendingGeneration;
    short pendingExpiry;
    final byte[] pendingNonce = new byte[Constants.CHALLENGE_LEN];

    // last event for the OTA server
    byte eventType;
    byte eventGeneration;
    short eventDate;
    short eventSeq;

    // DRM licenses: LICENSE_SLOTS in use at most, and as many staging slots. A LICENSE put writes
    // its content key into a free slot (licUsed 0: unreachable) BEFORE the packet's transaction;
    // the transaction only sets the slot's rights and licUsed (and releases a replaced slot), so no
    // key is written inside a transaction and a tear leaves an unreachable key that finishClear
    // clears. With 8 staging slots one packet can put (or replace) all 8 licenses even when full.
    // 16 slots: the staged-slot mask in Transients.shorts[LIC_STAGED] is one short.
    static final short LIC_SLOTS = (short) (2 * Constants.LICENSE_SLOTS);
    final short[] licId = new short[LIC_SLOTS];
    final short[] licPlays = new short[LIC_SLOTS];
    final short[] licFrom = new short[LIC_SLOTS];
    final short[] licUntil = new short[LIC_SLOTS];
    final byte[] licUsed = new byte[LIC_SLOTS];
    final AESKey[] licKey = new AESKey[LIC_SLOTS];

    State() {
        transportKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        for (short i = 0; i < 2; i++) {
            initKey[i] = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
            initPub[i] = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
            P256.setCurve(initPub[i]);
            trustEnc[i] = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
            trustMac[i] = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        }
        for (short i = 0; i < LIC_SLOTS; i++) {
            licKey[i] = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        }
        trustState = Constants.STATE_EMPTY;
    }

    byte pendingSlot() { return (byte) (activeSlot ^ 1); }

    /** Records an event for the OTA server; caller is inside a transaction. */
    void event(byte type) {
        eventType = type;
        eventGeneration = generation;
        eventDate = currentDate;
        eventSeq++;
    }

    /** The slot INIT_TRUST writes before its transaction: never the one the committed state uses. */
    byte stagingInitSlot() { return (byte) (initSlot ^ 1); }

    /**
     * Withdraws every trust key (no pending key, no update request) and marks the key objects for
     * clearing; caller is inside a transaction and calls {@link #finishClear()} after the commit.
     * No key object is touched here: Key.clearKey is not transactional on many cards, a tear
     * before the commit would leave the committed state with cleared keys.
     */
    void eraseTrust() {
        hasPending = false;
        updateRequested = false;
        clearPending = true;
    }

    /** Revocation (by SIM, network or terminal): keys withdrawn, the revoked state set, keys cleared after the commit. */
    void revoke(byte byWhom) {
        eraseTrust();
        trustState = Constants.STATE_REVOKED;
        event(byWhom);
    }

    /**
     * Clears every key object the committed state cannot reach: the staging init slot, the active
     * init key unless the state is INITIALIZED, the active trust slot unless TRUSTED, the pending
     * trust slot unless a key is pending, the content keys of unused license slots. Outside any transaction; clearPending drops last (one
     * atomic write), so a tear in here is finished by the next command.
     */
    void finishClear() {
        if (!clearPending) return;
        if (otaPersonalized) {
            transportKey.clearKey();
            hasTransportKey = false;
        }
        initKey[stagingInitSlot()].clearKey();
        if (trustState != Constants.STATE_INITIALIZED) initKey[initSlot].clearKey();
        if (trustState != Constants.STATE_TRUSTED) {
            trustEnc[activeSlot].clearKey();
            trustMac[activeSlot].clearKey();
        }
        if (!hasPending) {
            trustEnc[pendingSlot()].clearKey();
            trustMac[pendingSlot()].clearKey();
            Util.arrayFillNonAtomic(pendingNonce, (short) 0, Constants.CHALLENGE_LEN, (byte) 0);
        }
        for (short i = 0; i < LIC_SLOTS; i++) {
            if (licUsed[i] == 0) licKey[i].clearKey(); // deleted / replaced licenses, a torn LICENSE put
        }
        clearPending = false;
    }

    boolean expired() {
        return expiredAt(currentDate);
    }

    /** Expired at the date (the network's, or an authenticated session's later one). */
    boolean expiredAt(short date) {
        short exp = trustState == Constants.STATE_TRUSTED ? expiry : initExpiry;
        return date > exp;
    }

    byte flags() {
        byte f = 0;
        if (updateRequested) f |= Constants.FLAG_UPDATE_PENDING;
        if (trustState != Constants.STATE_EMPTY && trustState != Constants.STATE_REVOKED && expired()) f |= Constants.FLAG_EXPIRED;
        if (otaPersonalized) f |= Constants.FLAG_OTA_PERSONALIZED;
        return f;
    }

    /**
     * Only moves forward, and only with network-authenticated time (OTA SET_DATE, INIT_TRUST's
     * date): the card has no clock; a terminal's date never moves it (docs/ota.md "On the card").
     */
    void advanceDate(short date) {
        if (date > currentDate) currentDate = date;
        checkUpdateWindow(currentDate);
    }

    /**
     * Seed 004 Fig. 3: in the last quarter of a trust key's lifetime the SIM asks for an update.
     * The date may be an authenticated session's (a terminal may make the SIM ask earlier, never later).
     */
    void checkUpdateWindow(short date) {
        if (trustState == Constants.STATE_TRUSTED && lifetime > 0 && !updateRequested) {
            short window = (short) (lifetime >> 2);
            if ((short) (expiry - date) <= window) updateRequested = true;
        }
    }

    short findLicense(short id) {
        for (short i = 0; i < LIC_SLOTS; i++) {
            if (licUsed[i] != 0 && licId[i] == id) return i;
        }
        return -1;
    }

    short freeLicense() {
        for (short i = 0; i < LIC_SLOTS; i++) {
            if (licUsed[i] == 0) return i;
        }
        return -1;
    }

    short licenseCount() {
        short n = 0;
        for (short i = 0; i < LIC_SLOTS; i++) if (licUsed[i] != 0) n++;
        return n;
    }

    /** The event record E0 06 type generation date(2) seq(2) at out[o]; returns the offset after it. */
    short eventRecord(byte[] out, short o) {
        out[o++] = Constants.TAG_EVENT;
        out[o++] = 6;
        out[o++] = eventType;
        out[o++] = eventGeneration;
        o = Util.setShort(out, o, eventDate);
        return Util.setShort(out, o, eventSeq);
    }

    /** Is b[off..off+8) a TS 24.008 IMEI: type nibble 1010, decimal digits, spare check digit 0? */
    static boolean isImei(byte[] b, short off) {
        if ((byte) (b[off] & 0x0F) != Constants.IMEI_TYPE_ODD || (short) ((b[off] >> 4) & 0x0F) > 9) return false;
        for (short i = 1; i < Constants.IMEI_LEN; i++) {
            byte v = b[(short) (off + i)];
            if ((short) (v & 0x0F) > 9 || (short) ((v >> 4) & 0x0F) > 9) return false;
        }
        return (byte) (b[(short) (off + Constants.IMEI_LEN - 1)] & (byte) 0xF0) == 0;
    }

}
