package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Validate first, then write: a manufacturing or personalization command that answers an error
 * has changed nothing persistent (ModuleOnCard.persistentState: every flag, length, array and key
 * object of the module; simulator only).
 *
 * <p>Fuzzing finding: PERSO INITIATE (INS 20) with a genuine perso-unit certificate and a bad
 * ephemeral key (wrong length, off the curve) answered 6700 / 6A80 after it had written the perso
 * unit's key (ModuleApplet.p.persoKey) and advanced the certificate date.
 */
@dev.cardsmith.support.SimulatorOnly("compares the applet's persistent fields by reflection around refused commands")
class ModuleValidateFirstTest extends EnrolledModuleTest {

    private String state() {
        try {
            return ModuleOnCard.persistentState(f.session);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private byte[] persoCert() {
        return f.ca.persoUnitByManufacturer().encoded();
    }

    private static byte[] validPoint() {
        return EcP256.encode(EcP256.generate().getPublic());
    }

    /** 04 || X || Y with y^2 != x^3 - 3x + b (a valid point with one bit of Y flipped). */
    private static byte[] offCurvePoint() {
        byte[] p = validPoint();
        p[64] ^= 0x01;
        return p;
    }

    /** Sends {@code c}; requires {@code expectedSw} and no persistent change. */
    private void refusedWithoutWrites(int expectedSw, CommandAPDU c) {
        String before = state();
        int sw = f.sw(c);
        assertEquals(before, state(), String.format("INS %02X answered %04X after a persistent write", c.getINS(), sw));
        assertEquals(expectedSw, sw, String.format("INS %02X", c.getINS()));
    }

    private static CommandAPDU initiate(byte[] body) {
        return new CommandAPDU(Constants.CLA_PROPRIETARY, Constants.INS_PERSO_INITIATE, 0, 0, body, 65536);
    }

    @Test
    void persoInitiateWithABadEphemeralKeyWritesNothing() {
        f.session.extendedLength(true);
        byte[] cert = persoCert();
        refusedWithoutWrites(Sw.WRONG_DATA, initiate(Tlv.concat(cert, Tlv.of(Constants.TAG_EPHEMERAL_KEY, Arrays.copyOf(validPoint(), 64)))));
        refusedWithoutWrites(Sw.WRONG_DATA, initiate(Tlv.concat(cert, Tlv.of(Constants.TAG_EPHEMERAL_KEY, offCurvePoint()))));
        refusedWithoutWrites(Sw.WRONG_DATA, initiate(Tlv.concat(cert, Tlv.of(Constants.TAG_EPHEMERAL_KEY, validPoint()), new byte[] {0})));
        refusedWithoutWrites(Sw.WRONG_DATA, initiate(cert));
        // the same certificate with a good key goes through
        assertEquals(0x9000, f.sw(initiate(Tlv.concat(cert, Tlv.of(Constants.TAG_EPHEMERAL_KEY, validPoint())))));
    }

    @Test
    void setCheckingKeyOffTheCurveIsRefusedAndWritesNothing() {
        try (CardSession fresh = ModuleFixture.newCard()) {
            fresh.select(ModuleApdus.INSTANCE_AID);
            String before = ModuleOnCard.persistentState(fresh);
            assertEquals(Sw.WRONG_DATA, fresh.transmit(ModuleApdus.setCheckingKey(offCurvePoint())).getSW());
            byte[] notUncompressed = f.ca.manufacturerPoint().clone();
            notUncompressed[0] = 0x02;
            assertEquals(Sw.WRONG_DATA, fresh.transmit(ModuleApdus.setCheckingKey(notUncompressed)).getSW());
            assertEquals(before, ModuleOnCard.persistentState(fresh));
            assertEquals(0x9000, fresh.transmit(ModuleApdus.setCheckingKey(f.ca.manufacturerPoint())).getSW());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void failedPersoStepsWriteNothing() {
        f.enterTan(f.issueTan(moduleId));
        KeyPair impostor = EcP256.generate();
        PersoSession wrongSigner = new PersoSession(f.card(true), body -> EcP256.signDer(impostor.getPrivate(), body));
        wrongSigner.initiate(persoCert());
        String before = state();
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, assertThrows(CardStatusException.class, () -> wrongSigner.authenticate(new byte[16])).sw());
        assertEquals(before, state(), "PERSO AUTHENTICATE refused after a write");

        f.enterTan(f.issueTan(moduleId));
        PersoSession s = f.persoSession(true);
        s.initiate(persoCert());
        PersoSession.Authenticated a = s.authenticate(new byte[16]);
        before = state();
        byte[] otherNonce = a.nonce().clone();
        otherNonce[0] ^= 1;
        assertEquals(Sw.WRONG_DATA, assertThrows(CardStatusException.class, () -> s.storeCertificates(
                f.moduleCert(a.modulePoint(), otherNonce).encoded(), f.ca.centralByPersoUnit().encoded(), f.ca.persoUnitByCentral().encoded())).sw());
        assertEquals(before, state(), "PERSO STORE CERTS refused after a write");
        assertFalse(f.status().operating());
    }

    /**
     * Mutations of a good PERSO INITIATE (one byte changed, cut short, one byte more) and random
     * bodies for every manufacturing / personalization command: whatever is refused wrote nothing,
     * and nothing ends in 6F00 or the layer's 6F01 (an unexpected exception).
     */
    @Test
    void refusedManufacturingAndPersonalizationCommandsWriteNothing() {
        f.session.extendedLength(true);
        Random rnd = new Random(20);
        byte[] good = Tlv.concat(persoCert(), Tlv.of(Constants.TAG_EPHEMERAL_KEY, validPoint()));
        String before = state();
        for (int i = 0; i < 150; i++) {
            byte[] body = good.clone();
            switch (i % 3) {
                case 0 -> body[rnd.nextInt(body.length)] ^= (byte) (1 + rnd.nextInt(255));
                case 1 -> body = Arrays.copyOf(body, rnd.nextInt(body.length));
                default -> body = Arrays.copyOf(body, body.length + 1);
            }
            before = check(before, body.length == 0 ? new CommandAPDU(Constants.CLA_PROPRIETARY, Constants.INS_PERSO_INITIATE, 0, 0, 256)
                    : initiate(body));
        }
        byte[] ins = {Constants.INS_SET_CHECKING_KEY, Constants.INS_GENERATE_IDENTITY, Constants.INS_STORE_IDENTITY_CERT,
            Constants.INS_ENTER_PERSONALIZATION, Constants.INS_ENTER_TAN, Constants.INS_PERSO_AUTHENTICATE, Constants.INS_PERSO_STORE_CERTS};
        for (int i = 0; i < 300; i++) {
            byte[] body = new byte[1 + rnd.nextInt(rnd.nextBoolean() ? 80 : 400)];
            rnd.nextBytes(body);
            before = check(before, new CommandAPDU(Constants.CLA_PROPRIETARY, ins[i % ins.length], 0, 0, body)); // case 3: jCardSim holds 260 bytes
        }
    }

    private String check(String before, CommandAPDU c) {
        int sw = f.sw(c);
        String after = state();
        String what = String.format("INS %02X Lc=%d -> %04X", c.getINS(), c.getNc(), sw);
        assertNotEquals(0x6F00, sw, what);
        assertNotEquals(Sw.UNEXPECTED & 0xFFFF, sw, what);
        if (sw != 0x9000 && (sw & 0xFF00) != 0x6100) assertEquals(before, after, what + " after a persistent write");
        return after;
    }
}
