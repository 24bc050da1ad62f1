using System.Text.Json.Nodes;

namespace Loyalty.Tests.Model;

/// <summary>Runs generated commands against the service and the model side by side, each request to a random
/// instance (or to both at once), and compares every answer with the model's as it comes.</summary>
public sealed class SequenceRunner(ModelWorld world, ReferenceModel model, CommandGenerator generator, Random random, TextWriter? trace = null)
{
    private const string InProgress = "/problems/redemption-in-progress";

    // Fields the model cannot know (voucher codes are random) but a replay must repeat: kept from the first answer.
    private readonly Dictionary<string, JsonNode?> firstCodes = [];

    public List<Step> Steps { get; } = [];

    /// <summary>Every purchase sent, by member and id, first version: what invariant 4 bounds the credits by.</summary>
    public Dictionary<(string Member, string Id), RecordPurchase> Sent { get; } = [];

    /// <summary>Runs <paramref name="count"/> generated steps; returns the differences of the first step that disagrees.</summary>
    public Task<List<string>> RunAsync(int count) =>
        RunAsync(i => i <= count ? new Step(i, generator.Next(), random.Next(2), model.Now) : null);

    /// <summary>Runs the steps of a script (<see cref="ModelScript"/>); a step with a time moves the clock there first.</summary>
    public Task<List<string>> RunAsync(IReadOnlyList<Step> script) => RunAsync(i =>
    {
        if (i > script.Count)
        {
            return null;
        }

        if (script[i - 1].At > model.Now)
        {
            Advance(script[i - 1].At - model.Now);
        }

        return script[i - 1] with { At = model.Now };
    });

    private async Task<List<string>> RunAsync(Func<int, Step?> next)
    {
        for (var i = 1; next(i) is { } step; i++)
        {
            Steps.Add(step);
            trace?.WriteLine(step);
            var differences = await ExecuteAsync(step);
            if (differences.Count > 0)
            {
                return [.. differences.Select(d => $"step {step.Number}: {d}")];
            }

            // Requests are never at the same instant: recordedAt orders them as the steps are ordered.
            Advance(TimeSpan.FromSeconds(random.Next(1, 120)));
        }

        return [];
    }

    private void Advance(TimeSpan by)
    {
        model.Advance(by);
        world.Clock.SetUtcNow(model.Now);
    }

    private async Task<List<string>> ExecuteAsync(Step step)
    {
        switch (step.Command)
        {
            case AdvanceClock clock:
                Advance(clock.By);
                return [];
            case Backfill backfill:
                foreach (var purchase in backfill.Purchases)
                {
                    var answer = await world.SendAsync(purchase, step.Instance);
                    if (Check(purchase, model.Apply(Remember(purchase)), answer.Status, answer.Body) is { Count: > 0 } differences)
                    {
                        return [.. differences.Select(d => $"{purchase.PurchaseId}: {d}")];
                    }
                }

                return [];
            case Twice twice:
                return await BothAsync(twice.Request);
            case EraseDuringUpdate race:
                return await RaceAsync(race);
            case Import import:
                return CheckImport(import, model.Import(import), await world.ImportAsync(import));
            case ImportRace race:
                return await RaceAsync(race, step.Instance);
            case KeywordRace race:
                return await RaceAsync(race, step.Instance);
            case Request request:
                var expected = model.Apply(Remember(request));
                var (status, body) = await world.SendAsync(request, step.Instance);
                return Check(request, expected, status, body);
            default:
                throw new ArgumentException($"Unknown command {step.Command}", nameof(step));
        }
    }

    /// <summary>The same request to both instances at once: one records it (201) and the other replays it (200), or
    /// both give the same answer; a limited redemption may find its twin's unit still reserved (409 in progress), and
    /// then the same request again replays.</summary>
    private async Task<List<string>> BothAsync(Request request)
    {
        var expected = model.Apply(Remember(request));
        var answers = await Task.WhenAll(world.SendAsync(request, 0), world.SendAsync(request, 1));
        for (var i = 0; i < answers.Length; i++)
        {
            if (answers[i].Status == 409 && AnswerCheck.Parse(answers[i].Body)?["type"]?.GetValue<string>() == InProgress)
            {
                answers[i] = await world.SendAsync(request, i);
            }
        }

        var differences = new List<string>();
        var created = expected is { IsRefusal: false, Status: 201 };
        if (created && answers.Count(a => a.Status == 201) != 1)
        {
            differences.Add($"sent to both instances, {answers[0].Status} and {answers[1].Status}: exactly one must record it (201), the other replay it (200)");
        }

        foreach (var (status, body) in answers.OrderByDescending(a => a.Status))
        {
            differences.AddRange(Check(request, created && status == 200 ? expected.AsReplay() : expected, status, body));
        }

        return differences;
    }

    /// <summary>A profile update racing the erasure: the update lands before (200) or is refused after (409); the
    /// member ends erased either way, with no trace of the new phone number.</summary>
    private async Task<List<string>> RaceAsync(EraseDuringUpdate race)
    {
        var update = model.Apply(race.Update);
        var erase = model.Apply(race.Erase);
        var instance = random.Next(2);
        var answers = await Task.WhenAll(world.SendAsync(race.Update, instance), world.SendAsync(race.Erase, 1 - instance));
        var differences = AnswerCheck.Compare(erase, answers[1].Status, answers[1].Body);
        if (answers[0].Status != 409)
        {
            differences.AddRange(AnswerCheck.Compare(update, answers[0].Status, answers[0].Body));
        }

        return differences;
    }

    /// <summary>An import and an API request for one of its members at the same time: whichever the service did first
    /// (a purchase answered 404, an enrolment answered 201: the request) the model does first, and then both answers
    /// must be what the model says. The import's member is never there in part: a purchase finds them whole or not at all.</summary>
    private async Task<List<string>> RaceAsync(ImportRace race, int instance)
    {
        var request = Remember(race.Request);
        var importing = world.ImportAsync(race.Import);

        // The command line reads its files and makes sure of its tables first: the request comes at some point of that
        // or of the import's writes, so that either may go first.
        await Task.Delay(random.Next(0, 200));
        var (status, body) = await world.SendAsync(request, instance);
        var ran = await importing;
        var requestFirst = (request, status) is (Enrol, 201) or (RecordPurchase, 404);
        Expected answer;
        ImportExpected imported;
        if (requestFirst)
        {
            answer = model.Apply(request);
            imported = model.Import(race.Import);
        }
        else
        {
            imported = model.Import(race.Import);
            answer = model.Apply(request);
        }

        trace?.WriteLine($"    the {(requestFirst ? "request" : "import")} went first");
        return [.. Check(request, answer, status, body), .. CheckImport(race.Import, imported, ran)];
    }

    /// <summary>A keyword by SMS and a PUT of a member with that number at the same time, to different instances: the
    /// model tries both orders, and the one that gives the PUT's answer, the member's consent and their consent record
    /// as the service shows them afterwards is what happened. Neither order fits: a difference.</summary>
    private async Task<List<string>> RaceAsync(KeywordRace race, int instance)
    {
        var before = model.SaveConsents();
        var outcomes = new List<(string Order, Expected Put, object After)>();
        foreach (var smsFirst in new[] { true, false })
        {
            var put = smsFirst ? Then(model.Apply(race.Sms), race.Update) : model.Apply(race.Update);
            if (!smsFirst)
            {
                model.Apply(race.Sms);
            }

            outcomes.Add((smsFirst ? "the SMS" : "the PUT", put, model.SaveConsents()));
            model.Restore(before);
        }

        var answers = await Task.WhenAll(world.SendAsync(race.Sms, instance), world.SendAsync(race.Update, 1 - instance));
        var shown = AnswerCheck.Parse((await world.GetAsync($"/api/members/{race.Update.MemberId}/export")).Body);
        var differences = new List<string>();
        foreach (var (order, put, after) in outcomes)
        {
            model.Restore(after);
            var m = model.Member(race.Update.MemberId)!;
            differences =
            [
                .. AnswerCheck.Compare(Expected.Answer(200), answers[0].Status, answers[0].Body),
                .. AnswerCheck.Compare(put, answers[1].Status, answers[1].Body),
                .. AnswerCheck.Figures(model.ConsentFigures(m), shown?["member"]).Select(d => "afterwards " + d),
                .. ModelVerifier.ConsentRecordDifferences(m, shown?["consent"]),
            ];
            if (differences.Count == 0)
            {
                trace?.WriteLine($"    {order} went first");
                return [];
            }
        }

        return [.. differences.Prepend("neither order fits; with the PUT first:")];

        Expected Then(Expected _, Enrol update) => model.Apply(update);
    }

    /// <summary>The import's exit code, its summary line, and its report: the line and field of each rejected row.</summary>
    private List<string> CheckImport(Import import, ImportExpected expected, (Cli.CliRun Run, string[] Report) answer)
    {
        var (run, report) = answer;
        trace?.WriteLine($"    expected import {string.Join(", ", expected.Rows.Select(r => $"{r.Line}:{r.Field ?? "there"}"))}\n    answered {run}\n    report {string.Join(" / ", report)}");
        var differences = new List<string>();
        if (run.Exit != expected.Exit)
        {
            differences.Add($"import exited {run.Exit}, expected {expected.Exit}: {run}");
        }

        var summary = System.Text.RegularExpressions.Regex.Match(run.Out, @"Imported (\d+) members?; (\d+) already there; (\d+) rows? rejected");
        var counts = summary.Success ? string.Join('/', summary.Groups.Values.Skip(1).Select(g => g.Value)) : run.Out;
        var expectedCounts = string.Join('/', expected.Imported, expected.AlreadyThere, expected.Rejected.Count());
        if (counts != expectedCounts)
        {
            differences.Add($"import of {import.Rows.Count} rows: imported/already there/rejected {counts}, expected {expectedCounts}");
        }

        var rejected = report.Select(l => l.Split(' ', 2)).Where(p => p.Length == 2).Select(p => $"{p[0]} {p[1].Split(':')[0]}").Order(StringComparer.Ordinal);
        var expectedRejected = expected.Rejected.Select(r => $"{r.Line} {r.Field}").Order(StringComparer.Ordinal);
        if (!rejected.SequenceEqual(expectedRejected))
        {
            differences.Add($"import report [{string.Join(", ", report)}], expected rejections [{string.Join(", ", expectedRejected)}]");
        }

        return differences;
    }

    private Request Remember(Request request)
    {
        if (request is RecordPurchase p)
        {
            Sent.TryAdd((p.MemberId, p.PurchaseId), p);
        }

        return request;
    }

    private List<string> Check(Request request, Expected expected, int status, string body)
    {
        trace?.WriteLine($"    expected {expected}\n    answered {status} {body}");
        var differences = AnswerCheck.Compare(expected, status, body);
        if (differences.Count > 0 || status is not (200 or 201))
        {
            return differences;
        }

        var answer = AnswerCheck.Parse(body)!;
        var (key, field) = request switch
        {
            RecordPurchase p => ("purchase " + p.PurchaseId, "vouchers"),
            Redeem r => ("redeem " + r.RedemptionId, "voucherCode"),
            _ => ("", ""),
        };
        if (key.Length == 0)
        {
            return differences;
        }

        if (status == 201)
        {
            firstCodes[key] = answer[field]?.DeepClone();
            if (request is RecordPurchase purchase)
            {
                model.Observe(purchase, answer);
            }
            else if (request is Redeem redemption)
            {
                model.Observe(redemption, answer);
            }
        }
        else if (firstCodes.TryGetValue(key, out var first) && !JsonNode.DeepEquals(first, answer[field]))
        {
            differences.Add($"{field} replayed as {answer[field]?.ToJsonString()}, first answered {first?.ToJsonString()}");
        }

        return differences;
    }
}
