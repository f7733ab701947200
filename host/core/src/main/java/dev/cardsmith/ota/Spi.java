package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

/**
 * Security parameter indicator, ETSI TS 102 225 5.1.1 (two octets).
 * Octet 1: b1b2 RC/CC/DS (00 none, 01 RC, 10 CC, 11 DS), b3 ciphering, b4b5 counter mode.
 * Octet 2: b1b2 PoR (00 none, 01 always, 10 on error), b3b4 PoR RC/CC/DS, b5 PoR ciphered,
 * b6 PoR via SMS-SUBMIT (0: in the SMS-DELIVER-REPORT).
 */
public record Spi(int first, int second) {

    public enum CounterMode {
        /** 00: no counter. */
        NONE(Constants.SPI1_COUNTER_NONE),
        /** 01: counter available, no replay or sequence checking. */
        AVAILABLE(Constants.SPI1_COUNTER_AVAILABLE),
        /** 10: process if the counter is higher than the card's. */
        HIGHER(Constants.SPI1_COUNTER_HIGHER),
        /** 11: process if the counter is exactly one higher than the card's. */
        PLUS_ONE(Constants.SPI1_COUNTER_PLUS_ONE);

        public final int bits;

        CounterMode(int bits) { this.bits = bits; }

        static CounterMode of(int spi1) {
            for (CounterMode m : values()) if (m.bits == (spi1 & Constants.SPI1_COUNTER_MASK)) return m;
            throw new IllegalStateException();
        }
    }

    public enum Por { NONE, ALWAYS, ON_ERROR }

    /** RC/CC/DS (SPI octet 1 b1b2, octet 2 b3b4): none, redundancy check, cryptographic checksum, digital signature. */
    public enum Check {
        NONE, RC, CC, DS;

        static Check of(int bits) { return values()[bits & 0x03]; }
    }

    public Spi {
        if ((first & ~0xFF) != 0 || (second & ~0xFF) != 0) throw new IllegalArgumentException("SPI octets out of range");
    }

    /** The cardsmith default: CC + ciphering + counter higher, PoR always with CC, ciphered. */
    public static Spi secure(CounterMode mode) {
        return of(true, true, mode, Por.ALWAYS, true, true);
    }

    public static Spi of(boolean cc, boolean cipher, CounterMode mode, Por por, boolean porCc, boolean porCipher) {
        return of(cc ? Check.CC : Check.NONE, cipher, mode, por, porCc ? Check.CC : Check.NONE, porCipher);
    }

    public static Spi of(Check check, boolean cipher, CounterMode mode, Por por, Check porCheck, boolean porCipher) {
        int a = check.ordinal() | (cipher ? Constants.SPI1_CIPHER : 0) | mode.bits;
        int b = switch (por) {
            case NONE -> Constants.SPI2_POR_NONE;
            case ALWAYS -> Constants.SPI2_POR_ALWAYS;
            case ON_ERROR -> Constants.SPI2_POR_ON_ERROR;
        };
        b |= porCheck.ordinal() << 2;
        if (porCipher) b |= Constants.SPI2_POR_CIPHER;
        return new Spi(a, b);
    }

    /** The same SPI asking for the PoR by SMS-SUBMIT (octet 2 b6) instead of the SMS-DELIVER-REPORT. */
    public Spi porViaSubmit() { return new Spi(first, second | Constants.SPI2_POR_VIA_SUBMIT); }

    public boolean cc() { return (first & Constants.SPI1_RCCCDS_MASK) == Constants.SPI1_CC; }
    public Check check() { return Check.of(first); }
    public Check porCheck() { return Check.of(second >> 2); }
    public boolean porBySubmit() { return (second & Constants.SPI2_POR_VIA_SUBMIT) != 0; }
    public int rcCcDs() { return first & Constants.SPI1_RCCCDS_MASK; }
    public boolean ciphered() { return (first & Constants.SPI1_CIPHER) != 0; }
    public CounterMode counterMode() { return CounterMode.of(first); }
    public Por por() {
        return switch (second & Constants.SPI2_POR_MASK) {
            case Constants.SPI2_POR_ALWAYS -> Por.ALWAYS;
            case Constants.SPI2_POR_ON_ERROR -> Por.ON_ERROR;
            default -> Por.NONE;
        };
    }
    public boolean porCc() { return (second & Constants.SPI2_POR_CC_MASK) == Constants.SPI2_POR_CC; }
    public boolean porCiphered() { return (second & Constants.SPI2_POR_CIPHER) != 0; }

    @Override
    public String toString() { return String.format("%02X%02X", first, second); }
}
