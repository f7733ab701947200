package dev.cardsmith.support;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An end-to-end test class that gets its cards from {@link CardUnderTest}: jCardSim by default,
 * the PC/SC reader named by {@code -Dcardsmith.card=pcsc:NAME} otherwise. Tagged
 * {@value CardUnderTest#TAG} so the PC/SC pass selects exactly these classes.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Tag(CardUnderTest.TAG)
@ExtendWith(CardUnderTest.class)
public @interface CardTest {}
