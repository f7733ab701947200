package dev.cardsmith.cli;

import dev.cardsmith.csp.PivCard;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith csp pin status|verify|change|unblock|change-puk}. Defaults: PIN 123456, PUK 12345678. */
@Command(name = "pin", description = "User PIN: status, verify, change, unblock with the PUK, change the PUK.")
final class CspPinCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "choose: status, verify, change, unblock, change-puk");
    }

    private void withCard(java.util.function.BiConsumer<CliContext, PivCard> body) {
        try (CliContext ctx = CliContext.of(spec)) {
            PivCard card = new PivCard(ctx.card());
            card.select();
            try {
                body.accept(ctx, card);
            } finally {
                if (card.loggedIn()) card.logout(); // release the PIN status before the card is left
            }
        }
    }

    private static void emit(CliContext ctx, PivCard card) {
        Map<String, Object> m = new LinkedHashMap<>();
        int left = card.pinTriesLeft();
        m.put("pinTriesLeft", left < 0 ? "verified" : left);
        m.put("blocked", left == 0);
        ctx.emit(m);
    }

    @Command(name = "status", description = "PIN tries left (no PIN needed).")
    void status() {
        withCard(CspPinCommand::emit);
    }

    @Command(name = "verify", description = "Check a PIN (a wrong PIN counts down).")
    void verify(@Option(names = "--pin", description = "User PIN (default: $CARDSMITH_CSP_PIN).") String pin) {
        String p = CspCommand.requirePin(pin);
        withCard((ctx, card) -> {
            card.login(p.toCharArray());
            emit(ctx, card);
        });
    }

    @Command(name = "change", description = "Change the user PIN (4-8 characters).")
    void change(@Option(names = "--pin", description = "Current PIN (default: $CARDSMITH_CSP_PIN).") String pin,
                @Option(names = "--new-pin", required = true, description = "New PIN.") String newPin) {
        String p = CspCommand.requirePin(pin);
        withCard((ctx, card) -> {
            card.changePin(p.toCharArray(), newPin.toCharArray());
            emit(ctx, card);
        });
    }

    @Command(name = "unblock", description = "Set a new PIN and reset its counter with the PUK (8 characters).")
    void unblock(@Option(names = "--puk", required = true, description = "PUK.") String puk,
                 @Option(names = "--new-pin", required = true, description = "New PIN.") String newPin) {
        withCard((ctx, card) -> {
            card.unblockPin(puk.toCharArray(), newPin.toCharArray());
            emit(ctx, card);
        });
    }

    @Command(name = "change-puk", description = "Change the PUK.")
    void changePuk(@Option(names = "--puk", required = true, description = "Current PUK.") String puk,
                   @Option(names = "--new-puk", required = true, description = "New PUK (8 characters).") String newPuk) {
        withCard((ctx, card) -> {
            card.changePuk(puk.toCharArray(), newPuk.toCharArray());
            emit(ctx, card);
        });
    }
}
