// A configuration that needs a latency table and has none (a latency constraint, cost or budget):
// a FieldError of `lut`, with the facts a client needs to say how to build one (the CLI adds its
// command line: src/cli/errorText.ts).
import { FieldError } from '../io/fieldError';

export class MissingLatencyTableError extends FieldError {
  /** The space a table must be built for (its name or file). */
  readonly space: string;
  /** The input the table must be built at ('1x28x28'), 'CxHxW' when it depends on the data, or null: the space's own. */
  readonly input: string | null;

  /** `needs` says what needs the table ('constraint latency<=2ms'); `or` an alternative to a table, if any. */
  constructor(needs: string, facts: { space: string; input?: string | null; or?: string }) {
    super(
      'lut',
      null,
      `${needs} needs a latency table: give \`lut\` FILE (a table of space ${facts.space}` +
        `${facts.input ? ` at input ${facts.input}` : ''}: buildLatencyTable)${facts.or ? `, or ${facts.or}` : ''}`,
    );
    this.space = facts.space;
    this.input = facts.input ?? null;
  }
}
