package dev.cardsmith.csp;

/** What the PIV applet reports on SELECT. */
public record CardInfo(int version, int slots, boolean rsaSupported, int certificateMax) {}
