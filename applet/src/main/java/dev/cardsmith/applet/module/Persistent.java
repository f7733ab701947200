package dev.cardsmith.applet.module;

import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;

/**
 * Everything the module keeps in EEPROM (the "secure key memory" of claim 1). Flags, not key
 * objects, are the authority on what exists: a flag flips inside a transaction only after the
 * key or certificate it names is complete, so a torn card never uses a half-written key.
 */
final class Persistent {

    byte state = Constants.STATE_PERSONALIZATION;

    /** Manufacturer public checking key (claim 7), from the install parameters or SET CHECKING KEY. */
    final ECPublicKey checkingKey;
    boolean checkingKeySet;

    /** Permanent identity key, formed once (claim 8), and the manufacturer's certificate for it. */
    final KeyPair identityKey;
    boolean identityKeySet;
    final byte[] identityCert = new byte[Constants.MAX_CERT_LENGTH];
    short identityCertLength;

    /** Module key pair, formed afresh in every personalization (claim 1), and its certificate. */
    final KeyPair moduleKey;
    boolean moduleKeySet;
    final byte[] moduleCert = new byte[Constants.MAX_CERT_LENGTH];
    short moduleCertLength;

    /** Perso unit's signing key of the running personalization (set from its verified certificate). */
    final ECPublicKey persoKey;
    /** Central system's key certified by the perso unit (claims 4, 5); candidate key while checking the chain. */
    final ECPublicKey centralKey;
    /** Scratch key of PERSO STORE CERTS (the central key while its cross certificate is checked); no flag, never state. */
    final ECPublicKey candidateKey;
    boolean centralKeySet;

    /**
     * Set (committed) by ENTER PERSONALIZATION together with the cleared flags, dropped once the
     * old key objects are cleared: a tear in between leaves it set and the next command clears them.
     */
    boolean wipePending;

    /** Symmetric key agreed with the central system for later transactions (claim 11) and its replay counter. */
    final AESKey transactionKey;
    boolean transactionKeySet;
    final byte[] transactionCounter = new byte[Constants.COUNTER_LENGTH];
    /** All zero, never written: the source of the transactional counter reset (Util.arrayCopy). */
    final byte[] zeroCounter = new byte[Constants.COUNTER_LENGTH];

    /** The module's notion of today: the latest effective date of a certificate it accepted (BSI TR-03110 style). */
    final byte[] certificateDate = new byte[Constants.DATE_LENGTH];

    Persistent() {
        checkingKey = Crypto.newP256PublicKey();
        persoKey = Crypto.newP256PublicKey();
        centralKey = Crypto.newP256PublicKey();
        candidateKey = Crypto.newP256PublicKey();
        identityKey = new KeyPair(Crypto.newP256PublicKey(), Crypto.newP256PrivateKey());
        moduleKey = new KeyPair(Crypto.newP256PublicKey(), Crypto.newP256PrivateKey());
        transactionKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
    }

    /** Status flags for GET STATUS. */
    byte flags(short tanLength) {
        byte f = 0;
        if (checkingKeySet) f |= Constants.FLAG_CHECKING_KEY;
        if (identityKeySet) f |= Constants.FLAG_IDENTITY_KEY;
        if (identityCertLength != 0) f |= Constants.FLAG_IDENTITY_CERT;
        if (moduleKeySet) f |= Constants.FLAG_MODULE_KEY;
        if (transactionKeySet) f |= Constants.FLAG_TRANSACTION_KEY;
        if (tanLength != 0) f |= Constants.FLAG_TAN_ENTERED;
        return f;
    }

    /** Zeroes the public module certificate bytes (after the flags have been cleared). */
    void wipeModuleCertificate() {
        Util.arrayFillNonAtomic(moduleCert, (short) 0, Constants.MAX_CERT_LENGTH, (byte) 0);
    }
}
