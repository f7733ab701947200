package dev.cardsmith.applet.vault;

import javacard.framework.APDU;
import javacard.framework.APDUException;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.TransactionException;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacardx.crypto.Cipher;

/**
 * The device key vault (seed 000). The chip keeps a write-once chip ID and manufacturer public
 * key, a secret AES-256 chip key that never leaves it, and a data package of device keys that
 * it hands back only as a backup package encrypted and authenticated under the chip key.
 *
 * <p>Lifecycle: EMPTY (after install: chip ID and chip key exist) ->
 * PACKAGED (STORE PACKAGE or RESTORE) -> PROVISIONED (STORE CERTIFICATE); WIPE returns to
 * EMPTY. The APDU protocol is documented in docs/vault.md; every value is in {@link Constants}.
 */
public final class VaultApplet extends Applet {

    private final Transients transients;
    private final VaultCrypto crypto;
    private final VaultState st;

    /**
     * GlobalPlatform install data: LV(instance AID) || LV(privileges) || LV(application
     * parameters). Application parameters (optional, any order, each at most once):
     * C1 10 chip ID, C2 41 manufacturer public key (uncompressed P-256 point).
     */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new VaultApplet(bArray, bOffset, bLength);
    }

    private VaultApplet(byte[] b, short off, byte len) {
        transients = new Transients();
        crypto = new VaultCrypto(transients);
        st = new VaultState();
        short p = (short) (off + 1 + (short) (b[off] & 0xFF));
        p = (short) (p + 1 + (short) (b[p] & 0xFF));
        short paramLen = (short) (b[p] & 0xFF);
        p++;
        parseInstallParams(b, p, (short) (p + paramLen));
        st.initialize(crypto, transients.ram, Transients.OFF_SCRATCH);
        register(b, (short) (off + 1), b[off]);
    }

    private void parseInstallParams(byte[] b, short p, short end) {
        while (p < end) {
            if (b[p] == Constants.TAG_CHIP_ID && !st.chipIdFromInstall) {
                Tlv.expect(b, p, end, Constants.TAG_CHIP_ID, Constants.CHIP_ID_LENGTH, Constants.CHIP_ID_LENGTH);
                Util.arrayCopyNonAtomic(b, (short) (p + 2), st.chipId, (short) 0, Constants.CHIP_ID_LENGTH);
                st.chipIdFromInstall = true;
            } else if (b[p] == Constants.TAG_MANUFACTURER_KEY && !st.manufacturerKeySet) {
                Tlv.expect(b, p, end, Constants.TAG_MANUFACTURER_KEY, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
                setManufacturerKey(b, (short) (p + 2));
            } else {
                ISOException.throwIt(Constants.SW_WRONG_DATA);
            }
            p = Tlv.next(b, p);
        }
    }

    @Override
    public void process(APDU apdu) {
        // a torn WIPE, or a package rejected / torn while loading: clear its keys before anything
        if (st.wipePending && st.state == Constants.STATE_EMPTY) st.scrub();
        try {
            dispatch(apdu);
        } catch (ISOException e) {
            cleanup();
            throw e;
        } catch (CryptoException e) {
            cleanup();
            ISOException.throwIt(Constants.SW_DATA_INVALID);
        } catch (APDUException e) {
            cleanup();
            ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        } catch (TransactionException e) {
            cleanup();
            ISOException.throwIt(Constants.SW_MEMORY_FAILURE);
        } catch (ArrayIndexOutOfBoundsException e) {
            cleanup();
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        } catch (RuntimeException e) {
            // the one place every other failure becomes an ISO status word (never 6F00)
            cleanup();
            ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        }
    }

    private void cleanup() {
        if (JCSystem.getTransactionDepth() != 0) JCSystem.abortTransaction();
        transients.clearWork();
        // the keys of a package that failed its checks must not stay in the key objects
        if (st.wipePending && st.state == Constants.STATE_EMPTY) st.scrub();
    }

    private void dispatch(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        if (selectingApplet()) {
            sendChipInfo(apdu);
            return;
        }
        if (apdu.isCommandChainingCLA()) ISOException.throwIt(Constants.SW_CHAINING_NOT_SUPPORTED);
        if (apdu.isSecureMessagingCLA()) ISOException.throwIt(Constants.SW_SECURE_MESSAGING_NOT_SUPPORTED);
        if (buf[ISO7816.OFFSET_CLA] != Constants.CLA_PROPRIETARY) ISOException.throwIt(Constants.SW_CLA_NOT_SUPPORTED);
        short p1p2 = Util.getShort(buf, ISO7816.OFFSET_P1);
        switch (buf[ISO7816.OFFSET_INS]) {
            case Constants.INS_GET_DATA: getData(apdu, p1p2); break;
            case Constants.INS_PUT_DATA: putManufacturerKey(apdu, p1p2); break;
            case Constants.INS_STORE_PACKAGE: storePackage(apdu, p1p2); break;
            case Constants.INS_STORE_CERTIFICATE: storeCertificate(apdu, p1p2); break;
            case Constants.INS_RESTORE: restore(apdu, p1p2); break;
            case Constants.INS_GET_CHALLENGE: getChallenge(apdu, p1p2); break;
            case Constants.INS_WIPE: wipe(apdu, p1p2); break;
            case Constants.INS_PROVE: prove(apdu, p1p2); break;
            default: ISOException.throwIt(Constants.SW_INS_NOT_SUPPORTED);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** Receives the whole command data; checks Lc against [min, max]. Returns Lc. */
    private static short receive(APDU apdu, short min, short max) {
        short got = apdu.setIncomingAndReceive();
        short lc = apdu.getIncomingLength();
        if (lc < min || lc > max) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        while (got < lc) {
            got += apdu.receiveBytes((short) (ISO7816.OFFSET_CDATA + got));
        }
        if (got != lc) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        return lc;
    }

    /**
     * For case-2 commands (no data, Le): checks that no data came, except under T=0 where P3 is
     * Le and APDU.setIncomingAndReceive (allowed on case 3/4 only) would make the card wait for P3
     * data bytes the terminal never sends.
     */
    private static void requireNoData(APDU apdu) {
        if ((byte) (APDU.getProtocol() & APDU.PROTOCOL_TYPE_MASK) == APDU.PROTOCOL_T0) return;
        receive(apdu, (short) 0, (short) 0);
    }

    private static void requireP1P2(short actual, short expected) {
        if (actual != expected) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
    }

    private void requireState(byte s) {
        if (st.state != s) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
    }

    private void setManufacturerKey(byte[] b, short off) {
        if (b[off] != (byte) 0x04) ISOException.throwIt(Constants.SW_WRONG_DATA);
        st.manufacturerKey.setW(b, off, Constants.EC_POINT_LENGTH);
        st.manufacturerKeySet = true;
    }

    // ---- GET DATA / PUT DATA ------------------------------------------------------------------

    /** C1 chip ID | C7 state | C8 package version | C2 manufacturer key (empty if unset) | C3 identity (with a package). */
    private short writeChipInfo(byte[] out) {
        short o = Tlv.put(out, (short) 0, Constants.TAG_CHIP_ID, st.chipId, (short) 0, Constants.CHIP_ID_LENGTH);
        out[o++] = Constants.TAG_STATE;
        out[o++] = 1;
        out[o++] = st.state;
        out[o++] = Constants.TAG_PACKAGE_VERSION;
        out[o++] = 2;
        o = Util.setShort(out, o, st.packageVersion);
        out[o++] = Constants.TAG_MANUFACTURER_KEY;
        if (st.manufacturerKeySet) {
            out[o++] = (byte) Constants.EC_POINT_LENGTH;
            o += st.manufacturerKey.getW(out, o);
        } else {
            out[o++] = 0;
        }
        if (st.hasPackage()) {
            o = Tlv.put(out, o, Constants.TAG_IDENTITY, st.identity, (short) 0, st.identityLength);
        }
        return o;
    }

    private void sendChipInfo(APDU apdu) {
        short len = writeChipInfo(apdu.getBuffer());
        apdu.setOutgoingAndSend((short) 0, len);
    }

    private void getData(APDU apdu, short p1p2) {
        requireNoData(apdu);
        byte[] buf = apdu.getBuffer();
        short len = 0;
        switch (p1p2) {
            case Constants.P1P2_CHIP_INFO:
                len = writeChipInfo(buf);
                break;
            case Constants.P1P2_CHIP_ID:
                len = Util.arrayCopyNonAtomic(st.chipId, (short) 0, buf, (short) 0, Constants.CHIP_ID_LENGTH);
                break;
            case Constants.P1P2_MANUFACTURER_KEY:
                if (!st.manufacturerKeySet) ISOException.throwIt(Constants.SW_REFERENCED_DATA_NOT_FOUND);
                len = st.manufacturerKey.getW(buf, (short) 0);
                break;
            case Constants.P1P2_DEVICE_PUBLIC_KEY:
                if (!st.hasPackage()) ISOException.throwIt(Constants.SW_REFERENCED_DATA_NOT_FOUND);
                len = Util.arrayCopyNonAtomic(st.devicePublicW, (short) 0, buf, (short) 0, Constants.EC_POINT_LENGTH);
                break;
            case Constants.P1P2_CERTIFICATE:
                if (st.state != Constants.STATE_PROVISIONED) ISOException.throwIt(Constants.SW_REFERENCED_DATA_NOT_FOUND);
                len = Util.arrayCopyNonAtomic(st.certificate, (short) 0, buf, (short) 0, st.certificateLength);
                break;
            default:
                ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        }
        apdu.setOutgoingAndSend((short) 0, len);
    }

    /** One-shot SET MANUFACTURER KEY (claims 2, 19): only while unset and before any package. */
    private void putManufacturerKey(APDU apdu, short p1p2) {
        requireP1P2(p1p2, Constants.P1P2_MANUFACTURER_KEY);
        receive(apdu, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
        if (st.manufacturerKeySet || st.state != Constants.STATE_EMPTY) {
            ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        }
        // no transaction: Key.setW is not transactional on every card. The key is written while
        // manufacturerKeySet is false (nothing uses it), then the flag - one field write, atomic
        // by the JCRE - makes it live; a tear in between leaves the key unset, PUT DATA again.
        setManufacturerKey(apdu.getBuffer(), ISO7816.OFFSET_CDATA);
    }

    // ---- the data package -------------------------------------------------------------------

    /**
     * Checks a plain data package C3 identity | C4 channel key | C5 device private key |
     * C6 device public key (in this order, nothing after it) and that the key pair matches.
     * Sets the (inert, since the state is EMPTY) key objects; returns the identity length.
     */
    private short checkAndLoadPackage(byte[] b, short off, short len) {
        short end = (short) (off + len);
        short p = off;
        short idLen = Tlv.expect(b, p, end, Constants.TAG_IDENTITY, Constants.IDENTITY_MIN, Constants.IDENTITY_MAX);
        p = Tlv.next(b, p);
        Tlv.expect(b, p, end, Constants.TAG_CHANNEL_KEY, Constants.CHANNEL_KEY_LENGTH, Constants.CHANNEL_KEY_LENGTH);
        short keyOff = (short) (p + 2);
        p = Tlv.next(b, p);
        Tlv.expect(b, p, end, Constants.TAG_DEVICE_PRIVATE_KEY, Constants.EC_PRIVATE_LENGTH, Constants.EC_PRIVATE_LENGTH);
        short privOff = (short) (p + 2);
        p = Tlv.next(b, p);
        Tlv.expect(b, p, end, Constants.TAG_DEVICE_PUBLIC_KEY, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
        short pubOff = (short) (p + 2);
        p = Tlv.next(b, p);
        if (p != end || b[pubOff] != (byte) 0x04) ISOException.throwIt(Constants.SW_WRONG_DATA);

        // the state is EMPTY: nothing uses these key objects. wipePending (one atomic write)
        // makes a failed check or a tear from here to commitPackage clear them again.
        st.wipePending = true;
        st.channelKey.setKey(b, keyOff);
        st.devicePrivate.setS(b, privOff, Constants.EC_PRIVATE_LENGTH);
        st.devicePublic.setW(b, pubOff, Constants.EC_POINT_LENGTH);
        // the pair must match: sign the public point with the private key, verify with the public
        byte[] r = transients.ram;
        short sigOff = Transients.OFF_SIG;
        short sigLen = crypto.sign(st.devicePrivate, b, pubOff, Constants.EC_POINT_LENGTH, r, sigOff);
        if (!crypto.verify(st.devicePublic, b, pubOff, Constants.EC_POINT_LENGTH, r, sigOff, sigLen)) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        return idLen;
    }

    /**
     * Commits a checked package: identity, public point, state; the key objects are already set.
     * The bulk bytes go in first, outside the transaction (commit buffers on real cards are
     * small): in state EMPTY nothing reads identity or devicePublicW, so a tear here leaves an
     * EMPTY card with stray bytes, never a mix. The transaction then flips lengths and state only.
     */
    private void commitPackage(byte[] b, short off, short idLen, boolean newVersion) {
        short pubOff = (short) (off + 2 + idLen + 2 + Constants.CHANNEL_KEY_LENGTH + 2 + Constants.EC_PRIVATE_LENGTH + 2);
        Util.arrayCopyNonAtomic(b, (short) (off + 2), st.identity, (short) 0, idLen);
        Util.arrayCopyNonAtomic(b, pubOff, st.devicePublicW, (short) 0, Constants.EC_POINT_LENGTH);
        JCSystem.beginTransaction();
        st.identityLength = (byte) idLen;
        st.certificateLength = 0;
        if (newVersion) st.packageVersion++;
        st.wipePending = false;
        st.state = Constants.STATE_PACKAGED;
        JCSystem.commitTransaction();
    }

    /**
     * STORE PACKAGE (claims 1, 9, 18): stores the data package and answers with the backup
     * package 01 | chip ID | version | IV | AES-CBC(K_enc, IV, pad(package)) | CMAC(K_mac, all before).
     */
    private void storePackage(APDU apdu, short p1p2) {
        requireP1P2(p1p2, Constants.P1P2_NONE);
        short len = receive(apdu, (short) 1, Constants.PACKAGE_MAX);
        requireState(Constants.STATE_EMPTY);
        if (!st.manufacturerKeySet || st.packageVersion == (short) 0x7FFF) {
            ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        }
        byte[] buf = apdu.getBuffer();
        short idLen = checkAndLoadPackage(buf, ISO7816.OFFSET_CDATA, len);
        // plaintext to RAM, padded (ISO/IEC 9797-1 method 2), before the buffer is overwritten
        byte[] r = transients.ram;
        Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, r, Transients.OFF_SCRATCH, len);
        short padded = pad(r, Transients.OFF_SCRATCH, len);
        commitPackage(buf, ISO7816.OFFSET_CDATA, idLen, true);

        buf[Constants.BACKUP_OFF_FORMAT] = Constants.BACKUP_FORMAT;
        Util.arrayCopyNonAtomic(st.chipId, (short) 0, buf, Constants.BACKUP_OFF_CHIP_ID, Constants.CHIP_ID_LENGTH);
        Util.setShort(buf, Constants.BACKUP_OFF_VERSION, st.packageVersion);
        crypto.random.generateData(buf, Constants.BACKUP_OFF_IV, Constants.AES_BLOCK);
        crypto.cbc(st.encKey, Cipher.MODE_ENCRYPT, buf, Constants.BACKUP_OFF_IV,
                r, Transients.OFF_SCRATCH, padded, buf, Constants.BACKUP_OFF_CIPHERTEXT);
        short macOff = (short) (Constants.BACKUP_OFF_CIPHERTEXT + padded);
        crypto.cmac(st.macKey, buf, (short) 0, macOff, buf, macOff);
        transients.clearWork();
        apdu.setOutgoingAndSend((short) 0, (short) (macOff + Constants.MAC_LENGTH));
    }

    private static short pad(byte[] b, short off, short len) {
        short padded = (short) ((short) (len + 16) & (short) 0xFFF0);
        b[(short) (off + len)] = (byte) 0x80;
        Util.arrayFillNonAtomic(b, (short) (off + len + 1), (short) (padded - len - 1), (byte) 0);
        return padded;
    }

    /**
     * RESTORE (claim 17): chip binding, MAC, version, then decrypt and reinstall. Any failure
     * leaves the card as it was (the state byte is only written in commitPackage).
     */
    private void restore(APDU apdu, short p1p2) {
        requireP1P2(p1p2, Constants.P1P2_NONE);
        short len = receive(apdu, (short) (Constants.BACKUP_OVERHEAD + Constants.AES_BLOCK),
                (short) (Constants.BACKUP_OVERHEAD + Constants.PACKAGE_PADDED_MAX));
        short ctLen = (short) (len - Constants.BACKUP_OVERHEAD);
        if ((short) (ctLen & 0x0F) != 0) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        requireState(Constants.STATE_EMPTY);
        byte[] buf = apdu.getBuffer();
        short b0 = ISO7816.OFFSET_CDATA;
        if (buf[(short) (b0 + Constants.BACKUP_OFF_FORMAT)] != Constants.BACKUP_FORMAT
                || Util.arrayCompare(buf, (short) (b0 + Constants.BACKUP_OFF_CHIP_ID), st.chipId, (short) 0, Constants.CHIP_ID_LENGTH) != 0) {
            ISOException.throwIt(Constants.SW_WRONG_DATA); // not this chip's backup
        }
        byte[] r = transients.ram;
        short macOff = (short) (b0 + Constants.BACKUP_OFF_CIPHERTEXT + ctLen);
        short macTmp = Transients.OFF_SIG;
        crypto.cmac(st.macKey, buf, b0, (short) (macOff - b0), r, macTmp);
        if (!VaultCrypto.macEquals(r, macTmp, buf, macOff, Constants.MAC_LENGTH)) {
            ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        if (Util.getShort(buf, (short) (b0 + Constants.BACKUP_OFF_VERSION)) != st.packageVersion) {
            ISOException.throwIt(Constants.SW_DATA_INVALID); // an older (superseded) backup
        }
        crypto.cbc(st.encKey, Cipher.MODE_DECRYPT, buf, (short) (b0 + Constants.BACKUP_OFF_IV),
                buf, (short) (b0 + Constants.BACKUP_OFF_CIPHERTEXT), ctLen, r, Transients.OFF_SCRATCH);
        short plainLen = unpad(r, Transients.OFF_SCRATCH, ctLen);
        short idLen = checkAndLoadPackage(r, Transients.OFF_SCRATCH, plainLen);
        commitPackage(r, Transients.OFF_SCRATCH, idLen, false);
        transients.clearWork();
    }

    private static short unpad(byte[] b, short off, short len) {
        short i = (short) (off + len - 1);
        while (i >= off && b[i] == 0) i--;
        if (i < off || b[i] != (byte) 0x80) ISOException.throwIt(Constants.SW_WRONG_DATA);
        return (short) (i - off);
    }

    // ---- certificate --------------------------------------------------------------------------

    /**
     * STORE CERTIFICATE (claims 2, 19): C0 01 01 | C1 chip ID | C3 identity | C6 device public
     * key | 9E ECDSA-SHA256(manufacturer key, all bytes before 9E). Must name this chip, the
     * stored identity and the stored device key, and verify under the stored manufacturer key.
     */
    private void storeCertificate(APDU apdu, short p1p2) {
        requireP1P2(p1p2, Constants.P1P2_NONE);
        short len = receive(apdu, (short) 1, Constants.CERTIFICATE_MAX);
        requireState(Constants.STATE_PACKAGED);
        byte[] b = apdu.getBuffer();
        short off = ISO7816.OFFSET_CDATA;
        short end = (short) (off + len);
        short p = off;
        Tlv.expect(b, p, end, Constants.TAG_FORMAT, (short) 1, (short) 1);
        if (b[(short) (p + 2)] != Constants.CERTIFICATE_FORMAT) ISOException.throwIt(Constants.SW_WRONG_DATA);
        p = Tlv.next(b, p);
        Tlv.expect(b, p, end, Constants.TAG_CHIP_ID, Constants.CHIP_ID_LENGTH, Constants.CHIP_ID_LENGTH);
        if (Util.arrayCompare(b, (short) (p + 2), st.chipId, (short) 0, Constants.CHIP_ID_LENGTH) != 0) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        p = Tlv.next(b, p);
        short idLen = Tlv.expect(b, p, end, Constants.TAG_IDENTITY, Constants.IDENTITY_MIN, Constants.IDENTITY_MAX);
        if (idLen != st.identityLength
                || Util.arrayCompare(b, (short) (p + 2), st.identity, (short) 0, idLen) != 0) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        p = Tlv.next(b, p);
        Tlv.expect(b, p, end, Constants.TAG_DEVICE_PUBLIC_KEY, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
        if (Util.arrayCompare(b, (short) (p + 2), st.devicePublicW, (short) 0, Constants.EC_POINT_LENGTH) != 0) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        p = Tlv.next(b, p);
        short tbsLen = (short) (p - off);
        short sigLen = Tlv.expect(b, p, end, Constants.TAG_SIGNATURE, (short) 8, Constants.ECDSA_MAX_LENGTH);
        if (Tlv.next(b, p) != end) ISOException.throwIt(Constants.SW_WRONG_DATA);
        if (!crypto.verify(st.manufacturerKey, b, off, tbsLen, b, (short) (p + 2), sigLen)) {
            ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        // bulk bytes first, outside the transaction: in state PACKAGED nothing reads the certificate
        Util.arrayCopyNonAtomic(b, off, st.certificate, (short) 0, len);
        JCSystem.beginTransaction();
        st.certificateLength = len;
        st.state = Constants.STATE_PROVISIONED;
        JCSystem.commitTransaction();
    }

    // ---- wipe -------------------------------------------------------------------------------

    private void getChallenge(APDU apdu, short p1p2) {
        requireP1P2(p1p2, Constants.P1P2_NONE);
        requireNoData(apdu);
        byte[] r = transients.ram;
        crypto.random.generateData(r, Transients.OFF_CHALLENGE, Constants.CHALLENGE_LENGTH);
        transients.setChallengeFresh(true);
        byte[] buf = apdu.getBuffer();
        Util.arrayCopyNonAtomic(r, Transients.OFF_CHALLENGE, buf, (short) 0, Constants.CHALLENGE_LENGTH);
        apdu.setOutgoingAndSend((short) 0, Constants.CHALLENGE_LENGTH);
    }

    /**
     * WIPE: data = ECDSA-SHA256 signature of the manufacturer key over 57 || chip ID || the last
     * GET CHALLENGE value (single use, gone on deselect). Erases package and certificate.
     */
    private void wipe(APDU apdu, short p1p2) {
        requireP1P2(p1p2, Constants.P1P2_NONE);
        short len = receive(apdu, (short) 8, Constants.ECDSA_MAX_LENGTH);
        if (!st.manufacturerKeySet) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        if (!transients.challengeFresh()) ISOException.throwIt(Constants.SW_COMMAND_NOT_ALLOWED);
        transients.setChallengeFresh(false);
        byte[] r = transients.ram;
        short o = Transients.OFF_SCRATCH;
        r[o++] = Constants.WIPE_DOMAIN;
        o = Util.arrayCopyNonAtomic(st.chipId, (short) 0, r, o, Constants.CHIP_ID_LENGTH);
        o = Util.arrayCopyNonAtomic(r, Transients.OFF_CHALLENGE, r, o, Constants.CHALLENGE_LENGTH);
        if (!crypto.verify(st.manufacturerKey, r, Transients.OFF_SCRATCH, (short) (o - Transients.OFF_SCRATCH),
                apdu.getBuffer(), ISO7816.OFFSET_CDATA, len)) {
            ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        st.erasePackage();
    }

    // ---- prove ------------------------------------------------------------------------------

    /**
     * INTERNAL AUTHENTICATE: P2=01 AES-CMAC(channel key, 50 || challenge); P2=02 ECDSA(device key,
     * 50 || challenge). The fixed PROVE_DOMAIN prefix keeps this unauthenticated command from
     * being a MAC/signature oracle over data the caller chooses freely.
     */
    private void prove(APDU apdu, short p1p2) {
        if (p1p2 != Constants.P2_PROVE_CHANNEL_KEY && p1p2 != Constants.P2_PROVE_DEVICE_KEY) {
            ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        }
        short len = receive(apdu, (short) 1, Constants.PROVE_CHALLENGE_MAX);
        if (!st.hasPackage()) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        byte[] buf = apdu.getBuffer();
        byte[] r = transients.ram;
        r[Transients.OFF_SCRATCH] = Constants.PROVE_DOMAIN;
        Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, r, (short) (Transients.OFF_SCRATCH + 1), len);
        short inLen = (short) (len + 1);
        short outLen;
        if (p1p2 == Constants.P2_PROVE_CHANNEL_KEY) {
            crypto.cmac(st.channelKey, r, Transients.OFF_SCRATCH, inLen, buf, (short) 0);
            outLen = Constants.MAC_LENGTH;
        } else {
            outLen = crypto.sign(st.devicePrivate, r, Transients.OFF_SCRATCH, inLen, buf, (short) 0);
        }
        transients.clearWork();
        apdu.setOutgoingAndSend((short) 0, outLen);
    }
}
