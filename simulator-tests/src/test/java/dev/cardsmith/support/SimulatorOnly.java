package dev.cardsmith.support;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A white-box test that needs powers only the in-process jCardSim card has (reading applet
 * objects by reflection, switching applet code paths at install, jCardSim's own APIs, a card
 * state file). {@link CardUnderTest} skips it, with {@link #value()} as the reason, when the
 * target is a PC/SC reader.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Tag(CardUnderTest.SIMULATOR_ONLY_TAG)
@ExtendWith(CardUnderTest.class)
public @interface SimulatorOnly {
    /** Why the test cannot run on a reader (shown as the skip reason). */
    String value();
}
