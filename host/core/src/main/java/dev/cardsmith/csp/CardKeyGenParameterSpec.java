package dev.cardsmith.csp;

import java.security.spec.AlgorithmParameterSpec;

/**
 * Where and under which label the provider's KeyPairGenerator creates the key on the card.
 * {@code slot} -1 takes the first free slot.
 */
public record CardKeyGenParameterSpec(int slot, String label) implements AlgorithmParameterSpec {}
