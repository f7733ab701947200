package dev.cardsmith.cli;

import dev.cardsmith.transport.PcscTransport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code cardsmith readers}: PC/SC readers and whether a card is present. */
@Command(name = "readers", description = "List PC/SC readers.")
final class ReadersCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec)) {
            List<PcscTransport.Reader> readers = PcscTransport.readers();
            if (ctx.json()) {
                List<Map<String, Object>> list = new ArrayList<>();
                for (PcscTransport.Reader r : readers) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", r.name());
                    m.put("cardPresent", r.cardPresent());
                    list.add(m);
                }
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("readers", list);
                ctx.emit(result);
            } else if (readers.isEmpty()) {
                ctx.out().println("no PC/SC readers");
            } else {
                for (PcscTransport.Reader r : readers) {
                    ctx.out().println((r.cardPresent() ? "[card] " : "[    ] ") + r.name());
                }
            }
        }
    }
}
