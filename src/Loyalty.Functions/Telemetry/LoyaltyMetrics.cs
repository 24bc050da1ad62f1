using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Loyalty.Functions.Telemetry;

/// <summary>The app's business and invocation metrics, on the meter <see cref="MeterName"/>. Exported to Azure
/// Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set; readable by any <see cref="MeterListener"/>
/// otherwise. Tags are low-cardinality names (campaign, function, outcome, reason): never a member id, a phone
/// number, a name or a message text.</summary>
public sealed class LoyaltyMetrics
{
    public const string MeterName = "Loyalty.Functions";

    private readonly Counter<long> purchasesRecorded;
    private readonly Counter<long> outreachMessages;
    private readonly Counter<long> invocations;
    private readonly Histogram<double> invocationDuration;

    public LoyaltyMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        purchasesRecorded = meter.CreateCounter<long>("loyalty.purchases.recorded", "{purchase}", "Purchases recorded for the first time (replays are not counted).");
        outreachMessages = meter.CreateCounter<long>("loyalty.outreach.messages", "{message}", "Outreach messages by campaign and status (planned, sent, skipped, failed, unconfirmed).");
        invocations = meter.CreateCounter<long>("loyalty.function.invocations", "{invocation}", "Function invocations by function and outcome.");
        invocationDuration = meter.CreateHistogram<double>("loyalty.function.duration", "s", "How long function invocations took.");
    }

    /// <summary>A purchase was recorded now (not a replay of one recorded before). Its points are counted with every
    /// other movement of points by <see cref="Adapters.Storage.LedgerMetrics"/>.</summary>
    public void PurchaseRecorded() => purchasesRecorded.Add(1);

    /// <summary>An outreach message was planned (an outbox row written) for <paramref name="campaign"/>.</summary>
    public void OutreachPlanned(string campaign) => Outreach(campaign, "planned");

    public void OutreachSent(string campaign) => Outreach(campaign, "sent");

    /// <summary>A planned message was not sent; <paramref name="reason"/> is a short fixed word such as
    /// <c>opted-out</c>, <c>no-phone</c>, <c>frequency-cap</c>.</summary>
    public void OutreachSkipped(string campaign, string reason) =>
        outreachMessages.Add(1, new("campaign", campaign), new("status", "skipped"), new("reason", reason));

    public void OutreachFailed(string campaign) => Outreach(campaign, "failed");

    /// <summary>A message whose fate is unknown (ACS no longer knew its repeatability id): never sent again.</summary>
    public void OutreachUnconfirmed(string campaign) => Outreach(campaign, "unconfirmed");

    /// <summary>One invocation of a function (a trigger call from the Functions host or the standalone runner).</summary>
    public void FunctionInvoked(string function, bool succeeded, TimeSpan duration)
    {
        var tags = new TagList { { "function", function }, { "outcome", succeeded ? "success" : "failure" } };
        invocations.Add(1, tags);
        invocationDuration.Record(duration.TotalSeconds, tags);
    }

    private void Outreach(string campaign, string status) =>
        outreachMessages.Add(1, new("campaign", campaign), new("status", status));
}
