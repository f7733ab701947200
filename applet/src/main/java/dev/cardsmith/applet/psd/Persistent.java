package dev.cardsmith.applet.psd;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.KeyBuilder;

/**
 * The PSD's EEPROM: non-mutable unique ID, life-cycle state, the two high-level key slots
 * (slot 1: KRK, double-buffered like the MK; slot 2: MK key set = SCP03 K-ENC, K-MAC, K-DEK, three distinct keys) with their
 * key version numbers, the retry counter of the security executive and the one-time transport
 * key. The MK slot is double-buffered (two key sets A/B and an active index) so a replacement
 * commits by flipping one index byte inside a transaction, whatever the platform does with key
 * objects in transactions.
 */
final class Persistent {
    final byte[] id = new byte[PsdProtocol.ID_MAX];
    /** SCP03 key diversification data (INITIALIZE UPDATE): the ID's first 10 bytes, zero-padded. */
    final byte[] divData = new byte[PsdProtocol.KEY_DIV_DATA_LEN];
    /** [0] state, [1] MK version, [2] KRK version, [3] KRK tries left, [4] active MK key set (0/1), [5] ID length, [6] active KRK object (0/1) */
    final byte[] vars = new byte[7];
    static final short V_STATE = 0;
    static final short V_MK_KVN = 1;
    static final short V_KRK_KVN = 2;
    static final short V_TRIES = 3;
    static final short V_ACTIVE = 4;
    static final short V_ID_LEN = 5;
    static final short V_KRK_ACTIVE = 6;

    final AESKey transportKey;
    final AESKey krkA;
    final AESKey krkB;
    final AESKey encA;
    final AESKey macA;
    final AESKey dekA;
    final AESKey encB;
    final AESKey macB;
    final AESKey dekB;

    Persistent() {
        transportKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        krkA = aes();
        krkB = aes();
        encA = aes();
        macA = aes();
        dekA = aes();
        encB = aes();
        macB = aes();
        dekB = aes();
    }

    private static AESKey aes() {
        return (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
    }

    byte state() { return vars[V_STATE]; }

    private boolean aActive() { return vars[V_ACTIVE] == 0; }

    AESKey activeEnc() { return aActive() ? encA : encB; }

    AESKey activeMac() { return aActive() ? macA : macB; }

    /** Sets the inactive key set from scratch K_ENC/K_MAC/K_DEK (outside any transaction). */
    void loadInactive(byte[] keys) {
        boolean a = aActive();
        (a ? encB : encA).setKey(keys, Crypto.K_ENC);
        (a ? macB : macA).setKey(keys, Crypto.K_MAC);
        (a ? dekB : dekA).setKey(keys, Crypto.K_DEK);
    }

    AESKey activeKrk() { return vars[V_KRK_ACTIVE] == 0 ? krkA : krkB; }

    /** The KRK object a new KRK is written to before the commit flips {@link #V_KRK_ACTIVE}. */
    AESKey inactiveKrk() { return vars[V_KRK_ACTIVE] == 0 ? krkB : krkA; }

    /** Wipes the inactive key set (the deleted old MK, or a new one whose commit never happened). */
    void clearInactive() {
        boolean a = aActive();
        clear(a ? encB : encA);
        clear(a ? macB : macA);
        clear(a ? dekB : dekA);
    }

    /** Wipes the KRK object that is not active (the old KRK after CHANGE KRK, or an uncommitted new one). */
    void clearInactiveKrk() {
        clear(inactiveKrk());
    }

    private static void clear(AESKey k) {
        if (k.isInitialized()) k.clearKey();
    }

    /**
     * Finishes what a tear may have interrupted after a commit point: wipes the transport key
     * once issued and any key left in the inactive MK object (the deleted old MK, or a new MK
     * whose transaction never committed). Idempotent; runs on every SELECT.
     */
    void cleanUp() {
        if (vars[V_STATE] == PsdProtocol.STATE_ISSUED) {
            clear(transportKey);
            clearInactive();
            clearInactiveKrk();
        }
    }

    /** Install: ID and transport key, state INSTALLED; one transaction. */
    void install(byte[] idSrc, short idOff, byte idLen, byte[] tk, short tkOff) {
        JCSystem.beginTransaction();
        Util.arrayCopy(idSrc, idOff, id, (short) 0, idLen);
        vars[V_ID_LEN] = idLen;
        Util.arrayCopy(idSrc, idOff, divData, (short) 0, idLen < PsdProtocol.KEY_DIV_DATA_LEN ? idLen : PsdProtocol.KEY_DIV_DATA_LEN);
        vars[V_STATE] = PsdProtocol.STATE_INSTALLED;
        vars[V_TRIES] = PsdProtocol.KRK_TRIES;
        JCSystem.commitTransaction();
        transportKey.setKey(tk, tkOff);
    }
}
