package dev.cardsmith.ota;

import java.util.List;

/**
 * What carries the OTA server's SMS-DELIVER TPDUs to a SIM and brings its answers back: the
 * handset model in front of a card ({@code dev.cardsmith.ota.handset.Handset}), or an SMSC.
 */
public interface SmsBearer {

    /**
     * What came back for one message: the user data of the SMS-DELIVER-REPORT of its last segment
     * (RP-ACK or RP-ERROR; empty when the SIM returned none) and the SMS-SUBMIT TPDUs the SIM sent
     * meanwhile (SEND SHORT MESSAGE), in order.
     */
    record Delivery(byte[] deliverReport, List<byte[]> submits) {
        public Delivery {
            deliverReport = deliverReport == null ? new byte[0] : deliverReport.clone();
            submits = List.copyOf(submits);
        }

        @Override public byte[] deliverReport() { return deliverReport.clone(); }
    }

    /** Delivers the SMS-DELIVER TPDUs of one message, in the order given. */
    Delivery deliver(List<byte[]> tpdus);
}
