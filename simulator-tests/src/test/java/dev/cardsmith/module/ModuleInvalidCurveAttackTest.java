package dev.cardsmith.module;

import dev.cardsmith.support.SimulatorOnly;
import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.transport.CardStatusException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invalid-curve attack (docs/threat-model.md, Module: malicious reader or relay). A point that is
 * not on P-256 - (1,1), the point at infinity, a wrong prefix or length, a point off the curve, a
 * coordinate at or above p - fed to an ECDH with a long-term key lets the attacker learn that
 * key modulo the small order of the point's real curve, one CENTRAL AUTHENTICATE at a time.
 * Every module command that takes a point must refuse each of them (6A80 / 6700) before the
 * point reaches a key object or an agreement, and must write nothing.
 */
@CardTest
class ModuleInvalidCurveAttackTest {

    private static final BigInteger P = new BigInteger(1, P256.P);

    @TempDir
    Path dir;
    ModuleFixture f;

    @AfterEach
    void tearDown() {
        if (f != null) f.close();
    }

    private static byte[] point(BigInteger x, BigInteger y) {
        byte[] pt = new byte[65];
        pt[0] = 4;
        put(x, pt, 1);
        put(y, pt, 33);
        return pt;
    }

    private static void put(BigInteger v, byte[] out, int off) {
        byte[] b = v.toByteArray();
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, off + 32 - n, n);
    }

    /** The smallest x with a point (x, y) on P-256, and its y. */
    private static BigInteger[] smallPoint() {
        BigInteger b = new BigInteger(1, P256.B);
        for (int i = 0; ; i++) {
            BigInteger x = BigInteger.valueOf(i);
            BigInteger rhs = x.pow(3).subtract(x.multiply(BigInteger.valueOf(3))).add(b).mod(P);
            BigInteger y = rhs.modPow(P.add(BigInteger.ONE).shiftRight(2), P);
            if (y.multiply(y).mod(P).equals(rhs)) return new BigInteger[]{x, y};
        }
    }

    static Stream<Arguments> invalidPoints() {
        byte[] g = P256.G;
        byte[] offCurve = g.clone();
        offCurve[64] ^= 1;
        byte[] prefix05 = g.clone();
        prefix05[0] = 0x05;
        byte[] compressed = Arrays.copyOf(g, 33);
        compressed[0] = 0x02;
        BigInteger[] s = smallPoint();
        return Stream.of(
                Arguments.of("(1,1)", point(BigInteger.ONE, BigInteger.ONE)),
                Arguments.of("(0,0)", point(BigInteger.ZERO, BigInteger.ZERO)),
                Arguments.of("point at infinity (00)", new byte[]{0}),
                Arguments.of("wrong prefix 05", prefix05),
                Arguments.of("compressed 02||X", compressed),
                Arguments.of("wrong length 64", Arrays.copyOf(g, 64)),
                Arguments.of("wrong length 66", Arrays.copyOf(g, 66)),
                Arguments.of("off the curve (G, y+1)", offCurve),
                Arguments.of("x = p", point(P, BigInteger.ONE)),
                Arguments.of("x + p (same residue as a curve point)", point(s[0].add(P), s[1])));
    }

    /** The 65-byte encodings only (what a certificate's 86 field can carry). */
    static Stream<Arguments> invalidPoints65() {
        return invalidPoints().filter(a -> ((byte[]) a.get()[1]).length == 65 && ((byte[]) a.get()[1])[0] == 4);
    }

    private static void refused(int sw, String what) {
        assertTrue(sw == Sw.WRONG_DATA || sw == Sw.WRONG_LENGTH, what + " answered " + Integer.toHexString(sw) + ", expected 6A80 or 6700");
    }

    private String enrolled() {
        f = new ModuleFixture(dir);
        String id = f.enroll();
        f.select();
        return id;
    }

    @SimulatorOnly("compares the module applet persistent fields, read by reflection, before and after")
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPoints")
    void invalidCurveAttackOnCentralAuthenticateIsRefused(String name, byte[] bad) throws Exception {
        enrolled();
        f.personalize(true);
        String before = ModuleOnCard.persistentState(f.session);
        refused(f.sw(ModuleApdus.centralAuthenticate(bad, true)), "CENTRAL AUTHENTICATE with " + name);
        assertEquals(before, ModuleOnCard.persistentState(f.session), "CENTRAL AUTHENTICATE with " + name + " wrote");
        // and no session was started: CONFIRM finds none
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.centralConfirm(new byte[70])));
    }

    @SimulatorOnly("compares the module applet persistent fields, read by reflection, before and after")
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPoints")
    void invalidCurveAttackOnPersoInitiateEphemeralKeyIsRefused(String name, byte[] bad) throws Exception {
        enrolled();
        String before = ModuleOnCard.persistentState(f.session);
        refused(f.sw(ModuleApdus.persoInitiate(f.ca.persoUnitByManufacturer().encoded(), bad, true)), "PERSO INITIATE with " + name);
        assertEquals(before, ModuleOnCard.persistentState(f.session), "PERSO INITIATE with " + name + " wrote");
    }

    @SimulatorOnly("compares the module applet persistent fields, read by reflection, before and after")
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPoints65")
    void invalidCurveAttackThroughAPersoUnitCertificateIsRefused(String name, byte[] bad) throws Exception {
        enrolled();
        // even a certificate the manufacturer really signed may not bring a point off the curve
        CvCertificate cert = CvCertificate.issue(CertificateAuthority.MANUFACTURER_CHR, CertificateAuthority.PERSO_UNIT_CHR, bad,
                CvCertificate.Role.PERSO_UNIT, null, ModuleFixture.TODAY, ModuleFixture.TODAY.plusYears(1),
                body -> f.hsm.signSha256WithEcdsa(CertificateAuthority.MANUFACTURER_LABEL, body));
        String before = ModuleOnCard.persistentState(f.session);
        CardStatusException e = assertThrows(CardStatusException.class, () -> f.persoSession(true).initiate(cert.encoded()));
        refused(e.sw(), "perso-unit certificate with " + name);
        assertEquals(before, ModuleOnCard.persistentState(f.session), "PERSO INITIATE with a certificate for " + name + " wrote");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPoints65")
    void invalidCurveAttackThroughACentralSystemCertificateIsRefused(String name, byte[] bad) {
        String id = enrolled();
        f.enterTan(f.issueTan(id));
        PersoSession s = f.persoSession(true);
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        PersoSession.Authenticated a = s.authenticate(new byte[16]);
        CvCertificate central = CvCertificate.issue(CertificateAuthority.PERSO_UNIT_CHR, CertificateAuthority.CENTRAL_CHR, bad,
                CvCertificate.Role.CENTRAL, null, ModuleFixture.TODAY, ModuleFixture.TODAY.plusYears(1),
                body -> f.hsm.signSha256WithEcdsa(CertificateAuthority.PERSO_UNIT_LABEL, body));
        CardStatusException e = assertThrows(CardStatusException.class, () -> s.storeCertificates(
                f.moduleCert(a.modulePoint(), a.nonce()).encoded(), central.encoded(), f.ca.persoUnitByCentral().encoded()));
        assertEquals(Sw.WRONG_DATA, e.sw(), "central-system certificate with " + name);
        assertFalse(f.status().operating());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPoints")
    void invalidCurveAttackOnSetCheckingKeyIsRefused(String name, byte[] bad) {
        f = new ModuleFixture(dir);
        f.select();
        refused(f.sw(ModuleApdus.setCheckingKey(bad)), "SET CHECKING KEY with " + name);
        assertFalse(f.status().has(Constants.FLAG_CHECKING_KEY));
    }

    /** The host side of the same attack: the central system refuses a module ephemeral key off the curve. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPoints")
    void centralSystemRefusesAModuleEphemeralKeyOffTheCurve(String name, byte[] bad) {
        assertThrows(ModuleException.class, () -> CvCertificate.point(bad), name);
    }
}
