package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

/** Names of the response status codes of ETSI TS 102 225 table 5 / 3GPP TS 31.115 7.1.2. */
public final class PorStatus {
    private PorStatus() {}

    public static String name(int status) {
        return switch ((byte) status) {
            case Constants.POR_OK -> "00 PoR OK";
            case Constants.POR_RC_CC_DS_FAILED -> "01 RC/CC/DS failed";
            case Constants.POR_CNTR_LOW -> "02 CNTR low";
            case Constants.POR_CNTR_HIGH -> "03 CNTR high";
            case Constants.POR_CNTR_BLOCKED -> "04 CNTR blocked";
            case Constants.POR_CIPHERING_ERROR -> "05 ciphering error";
            case Constants.POR_UNIDENTIFIED_SECURITY_ERROR -> "06 unidentified security error";
            case Constants.POR_INSUFFICIENT_MEMORY -> "07 insufficient memory";
            case Constants.POR_MORE_TIME -> "08 more time";
            case Constants.POR_TAR_UNKNOWN -> "09 TAR unknown";
            case Constants.POR_INSUFFICIENT_SECURITY_LEVEL -> "0A insufficient security level";
            case Constants.POR_DATA_VIA_SUBMIT -> "0B response data via SMS-SUBMIT";
            default -> String.format("%02X unknown", status & 0xFF);
        };
    }
}
