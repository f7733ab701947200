package dev.cardsmith.fuzz;

import java.util.List;

/** Makes the fuzz case for a seed; the same seed gives the same case on the same templates. */
interface CaseGenerator {

    /** One case: the APDUs to send in order and a one-line description of how they were made. */
    record Case(long seed, List<byte[]> apdus, String recipe) {}

    Case generate(long seed);
}
