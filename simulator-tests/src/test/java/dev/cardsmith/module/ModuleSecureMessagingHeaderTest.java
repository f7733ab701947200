package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardStatusException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.smartcardio.CommandAPDU;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Claim 3 on the real applet: the host's secure messaging MACs the header of the APDU it sends,
 * and the card checks the header it receives. A channel below the wrapper (a relay, a reader
 * driver) that changes any header byte of the protected PERSO AUTHENTICATE after wrapping is
 * refused by the card, and the module generates no key.
 */
class ModuleSecureMessagingHeaderTest extends EnrolledModuleTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void aHeaderByteChangedAfterWrappingIsRefusedByTheCard(int offset) {
        f.enterTan(f.issueTan(moduleId));
        ApduChannel below = f.card(true).channel();
        ModuleCard tampering = new ModuleCard(new ApduChannel() {
            @Override public javax.smartcardio.ResponseAPDU transmit(CommandAPDU c) {
                if (c.getINS() != (Constants.INS_PERSO_AUTHENTICATE & 0xFF)) return below.transmit(c);
                byte[] b = c.getBytes();
                b[offset] ^= 0x01;
                return below.transmit(new CommandAPDU(b));
            }
            @Override public boolean extendedLength() { return true; }
        });
        PersoSession s = new PersoSession(tampering, body -> f.hsm.signSha256WithEcdsa(CertificateAuthority.PERSO_UNIT_LABEL, body));
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        CardStatusException e = assertThrows(CardStatusException.class, () -> s.authenticate(new byte[16]));
        assertNotEquals(0x9000, e.sw()); // which refusal (class, instruction, P1-P2 or MAC check) is the applet's choice
        assertFalse(f.status().has(Constants.FLAG_MODULE_KEY));
    }

    /** The same path untouched personalizes, so the refusals above come from the changed byte. */
    @org.junit.jupiter.api.Test
    void theUntouchedPathIsAccepted() {
        f.enterTan(f.issueTan(moduleId));
        ApduChannel below = f.card(true).channel();
        ModuleCard passing = new ModuleCard(new ApduChannel() {
            @Override public javax.smartcardio.ResponseAPDU transmit(CommandAPDU c) { return below.transmit(new CommandAPDU(c.getBytes())); }
            @Override public boolean extendedLength() { return true; }
        });
        PersoSession s = new PersoSession(passing, body -> f.hsm.signSha256WithEcdsa(CertificateAuthority.PERSO_UNIT_LABEL, body));
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        s.authenticate(new byte[16]);
        assertTrue(f.status().has(Constants.FLAG_MODULE_KEY));
    }
}
