package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import org.junit.jupiter.api.Test;

import javax.smartcardio.ResponseAPDU;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Review finding: the central system checked the module's key-confirmation receipt and its
 * transaction receipts with {@code Cmac.verify}, which accepts a MAC of any length from 1 byte
 * (truncated-MAC comparison). A relay in the middle (claims 12, 14: the appliance is not trusted)
 * could cut a receipt to one byte and have it accepted with probability 1/256 without the module
 * key or the transaction key. Both receipts must be the full 16-byte CMAC.
 */
class CentralTruncatedMacTest extends EnrolledModuleTest {

    @Override
    boolean personalizedAtStart() {
        return true;
    }

    /** A relay that keeps only the first byte of the module's transaction receipt (the real one: a lucky 1/256 guess). */
    private ModuleCard truncatingTransactionReceipts(ModuleCard card) {
        return new ModuleCard(c -> {
            ResponseAPDU r = card.transmit(c);
            if (c.getINS() != (Constants.INS_TRANSACTION & 0xFF) || r.getSW() != 0x9000) return r;
            return new ResponseAPDU(new byte[] {r.getData()[0], (byte) 0x90, 0x00});
        });
    }

    /** A relay that cuts the receipt TLV (86 10 ...) of CENTRAL AUTHENTICATE to its first byte. */
    private ModuleCard truncatingKeyConfirmation(ModuleCard card) {
        return new ModuleCard(c -> {
            ResponseAPDU r = card.transmit(c);
            if (c.getINS() != (Constants.INS_CENTRAL_AUTHENTICATE & 0xFF) || r.getSW() != 0x9000) return r;
            byte[] d = r.getData();
            int t = 3 + Constants.EC_POINT_LENGTH; // after 5F49 41 <point>
            assertEquals(Constants.TAG_RECEIPT, d[t] & 0xFF);
            byte[] out = new byte[d.length - 15 + 2];
            System.arraycopy(d, 0, out, 0, t);
            out[t] = (byte) Constants.TAG_RECEIPT;
            out[t + 1] = 1;
            out[t + 2] = d[t + 2];
            System.arraycopy(d, t + 2 + 16, out, t + 3, d.length - (t + 2 + 16));
            out[out.length - 2] = (byte) 0x90;
            out[out.length - 1] = 0x00;
            return new ResponseAPDU(out);
        });
    }

    @Test
    void truncatedTransactionReceiptIsRejected() {
        CentralSystem central = new CentralSystem(f.ca);
        central.authenticate(f.card(true), ModuleFixture.TODAY);
        ModuleException e = assertThrows(ModuleException.class,
                () -> central.transact(truncatingTransactionReceipts(f.card(false)), moduleId, "pay 1".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
    }

    @Test
    void truncatedKeyConfirmationReceiptIsRejectedBeforeConfirm() {
        CentralSystem central = new CentralSystem(f.ca);
        ModuleException e = assertThrows(ModuleException.class,
                () -> central.authenticate(truncatingKeyConfirmation(f.card(true)), ModuleFixture.TODAY));
        assertTrue(e.getMessage().contains("receipt"), e.getMessage());
        assertFalse(central.hasKey(moduleId));
    }
}
