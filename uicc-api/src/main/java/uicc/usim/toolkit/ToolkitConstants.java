package uicc.usim.toolkit;

/** 3GPP TS 31.130 constants on top of uicc.toolkit (the SMS-PP events are 3GPP-specific). */
public interface ToolkitConstants extends uicc.toolkit.ToolkitConstants {

    /** ENVELOPE SMS-PP data download, secured per TS 31.115, security handled by the runtime. */
    short EVENT_FORMATTED_SMS_PP_ENV = (short) 2;
    /** ENVELOPE SMS-PP data download handed to the applet as received (it does the TS 31.115 security itself). */
    short EVENT_UNFORMATTED_SMS_PP_ENV = (short) 4;

    /** PROVIDE LOCAL INFORMATION qualifier 01: IMEI of the terminal (TS 31.111 6.4.15). */
    byte PLI_IMEI = (byte) 0x01;
    /** SEND SHORT MESSAGE qualifier 00: packing not required (TS 31.111 6.4.10). */
    byte SSM_PACKING_NOT_REQUIRED = (byte) 0x00;
}
