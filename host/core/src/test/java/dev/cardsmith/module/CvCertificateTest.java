package dev.cardsmith.module;

import dev.cardsmith.crypto.Rng;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.codec.Tlv;
import dev.cardsmith.applet.module.Constants;
import org.bouncycastle.asn1.eac.CVCertificate;
import org.bouncycastle.eac.EACCertificateHolder;
import org.bouncycastle.eac.operator.jcajce.JcaEACSignatureVerifierBuilder;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.time.LocalDate;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CV certificate profile: build, parse (ours and BouncyCastle's), verify, reject. */
class CvCertificateTest {

    static final LocalDate D = LocalDate.of(2026, 11, 24);
    final KeyPair issuer = EcP256.generate();
    final KeyPair holder = EcP256.generate();

    CvCertificate cert(CvCertificate.Role role, byte[] nonce) {
        return CvCertificate.issue("ZZCSPU00001", "ZZM0123ABCD00001", EcP256.encode(holder.getPublic()), role, nonce,
                D, D.plusYears(2), body -> EcP256.signDer(issuer.getPrivate(), body));
    }

    @Test
    void bouncyCastleParsesAndVerifiesACertificateWithoutNonce() throws Exception {
        CvCertificate c = cert(CvCertificate.Role.CENTRAL, null);
        CVCertificate bc = CVCertificate.getInstance(c.encoded());
        assertEquals("ZZCSPU00001", new String(bc.getBody().getCertificationAuthorityReference().getEncoded()));
        assertEquals("ZZM0123ABCD00001", new String(bc.getBody().getCertificateHolderReference().getEncoded()));
        assertEquals(Constants.ROLE_CENTRAL, (byte) bc.getBody().getCertificateHolderAuthorization().getAccessRights());
        assertEquals("261124", bc.getBody().getCertificateEffectiveDate().toString());
        // BouncyCastle re-encodes the body it verifies; without a nonce that is our exact body
        EACCertificateHolder h = new EACCertificateHolder(c.encoded());
        assertTrue(h.isSignatureValid(new JcaEACSignatureVerifierBuilder().build(
                org.bouncycastle.asn1.eac.EACObjectIdentifiers.id_TA_ECDSA_SHA_256, issuer.getPublic())));
    }

    @Test
    void claim9_nonceIsInsideTheSignedBody() {
        byte[] nonce = Rng.bytes(16);
        CvCertificate c = cert(CvCertificate.Role.MODULE, nonce);
        assertArrayEquals(nonce, c.nonce());
        assertTrue(c.verifiedBy(issuer.getPublic()));
        CVCertificate.getInstance(c.encoded()); // BouncyCastle parses it too
        // change one nonce byte: the signature no longer verifies
        byte[] enc = c.encoded().clone();
        int at = indexOf(enc, nonce);
        enc[at] ^= 1;
        assertFalse(CvCertificate.parse(enc).verifiedBy(issuer.getPublic()));
    }

    @Test
    void checkEnforcesRoleIssuerSignatureAndValidity() {
        CvCertificate c = cert(CvCertificate.Role.MODULE, new byte[16]);
        c.check(issuer.getPublic(), "ZZCSPU00001", CvCertificate.Role.MODULE, D);
        assertThrows(ModuleException.class, () -> c.check(issuer.getPublic(), "ZZCSPU00001", CvCertificate.Role.CENTRAL, D));
        assertThrows(ModuleException.class, () -> c.check(issuer.getPublic(), "ZZCSPU00002", CvCertificate.Role.MODULE, D));
        assertThrows(ModuleException.class, () -> c.check(holder.getPublic(), "ZZCSPU00001", CvCertificate.Role.MODULE, D));
        assertThrows(ModuleException.class, () -> c.check(issuer.getPublic(), "ZZCSPU00001", CvCertificate.Role.MODULE, D.plusYears(3)));
        assertThrows(ModuleException.class, () -> c.check(issuer.getPublic(), "ZZCSPU00001", CvCertificate.Role.MODULE, D.minusDays(1)));
    }

    @Test
    void malformedCertificatesAreRejected() {
        byte[] enc = cert(CvCertificate.Role.PERSO_UNIT, null).encoded();
        assertThrows(ModuleException.class, () -> CvCertificate.parse(Arrays.copyOf(enc, enc.length - 1)));
        assertThrows(ModuleException.class, () -> CvCertificate.parse(Tlv.concat(enc, new byte[]{0})));
        byte[] badTag = enc.clone();
        badTag[0] = 0x7E;
        assertThrows(ModuleException.class, () -> CvCertificate.parse(badTag));
        byte[] badOid = enc.clone();
        badOid[indexOf(badOid, Constants.OID_TA_ECDSA_SHA_256) + 9] = 0x01;
        assertThrows(ModuleException.class, () -> CvCertificate.parse(badOid));
        assertThrows(IllegalArgumentException.class, () -> CvCertificate.issue("ZZ", "THIS-REFERENCE-IS-TOO-LONG", EcP256.encode(holder.getPublic()),
                CvCertificate.Role.MODULE, null, D, D, body -> EcP256.signDer(issuer.getPrivate(), body)));
    }

    @Test
    void datesAreUnpackedBcd() {
        assertArrayEquals(new byte[]{2, 6, 1, 1, 2, 4}, CvCertificate.date(D));
        assertEquals(D, CvCertificate.date(new byte[]{2, 6, 1, 1, 2, 4}));
        assertThrows(ModuleException.class, () -> CvCertificate.date(new byte[]{2, 6, 1, 3, 2, 4}));
        assertThrows(ModuleException.class, () -> CvCertificate.date(new byte[]{2, 6, 1, 1, 2, 10}));
    }

    @Test
    void profileLayoutMatchesTheDocumentation() {
        CvCertificate c = cert(CvCertificate.Role.MODULE, new byte[16]);
        byte[] e = c.encoded();
        assertEquals(0x7F, e[0] & 0xFF);
        assertEquals(0x21, e[1] & 0xFF);
        assertNull(cert(CvCertificate.Role.IDENTITY, null).nonce());
        assertTrue(e.length <= Constants.MAX_CERT_LENGTH, "fits the module's certificate store: " + e.length);
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
