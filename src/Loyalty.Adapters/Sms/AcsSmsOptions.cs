using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Loyalty.Adapters.Sms;

/// <summary>How the app reaches ACS SMS. Bound from the configuration root, so each property is read from the
/// setting its <see cref="ConfigurationKeyNameAttribute"/> names (environment variables write ':' as '__').
/// A class rather than a record, so that nothing ever prints the connection string.</summary>
public sealed class AcsSmsOptions
{
    public const string ConnectionStringSetting = "ACS_CONNECTION_STRING";
    public const string FromSetting = "ACS_SMS_FROM";
    public const string DryRunSetting = "Outreach:DryRun";
    public const string ApiVersionSetting = "Sms:ApiVersion";
    public const string ResilienceSetting = "Sms:Resilience";
    public const string StrangerRetentionSetting = "Outreach:StrangerRetention";

    /// <summary><c>endpoint=https://&lt;resource&gt;.communication.azure.com/;accesskey=&lt;base64&gt;</c>. May stay
    /// empty while nothing is sent (or in a dry run); a send then fails naming this setting.</summary>
    [ConfigurationKeyName(ConnectionStringSetting)]
    public string? ConnectionString { get; set; }

    /// <summary>The sender: an E.164 number the resource owns, or an alphanumeric sender id.</summary>
    [ConfigurationKeyName(FromSetting)]
    public string? From { get; set; }

    /// <summary>Render and record, but never call ACS: sends answer <see cref="SmsSendResult.DryRun"/>.</summary>
    [ConfigurationKeyName(DryRunSetting)]
    public bool DryRun { get; set; }

    [ConfigurationKeyName(ApiVersionSetting)]
    public string ApiVersion { get; set; } = "2021-03-07";

    [ConfigurationKeyName(ResilienceSetting)]
    public AcsSmsResilienceOptions Resilience { get; set; } = new();

    /// <summary>How long a sent (or otherwise final) reply to a number no member has is kept, for delivery reports and
    /// support questions, before the nightly cleanup deletes it. Default 7 days.</summary>
    [ConfigurationKeyName(StrangerRetentionSetting)]
    public TimeSpan StrangerRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Whether members can reply to the sender: a number can take replies, an alphanumeric sender id cannot
    /// (its messages then carry no "Reply STOP" line, and nothing answers a reply). A dry run without a sender counts
    /// as a number.</summary>
    public bool TakesReplies => string.IsNullOrWhiteSpace(From) ? DryRun : SmsMessage.E164().IsMatch(From);

    /// <summary>Whether a connection string is set (it may still be invalid; validation says).</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(ConnectionString);
}

/// <summary>Retries, timeouts and circuit breaker of the ACS pipeline (<c>Sms:Resilience:*</c>). The defaults suit a
/// queue-triggered send: a few quick retries, then give the message back to the queue.</summary>
public sealed class AcsSmsResilienceOptions
{
    /// <summary>How long one HTTP attempt may take.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a send may take, retries and waits included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>Retries after the first attempt (0 for none).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first back-off; each further one doubles, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest computed back-off.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest <c>Retry-After</c> waited for in place; a longer one ends the send as
    /// <see cref="SmsSendResult.Failed"/> carrying it, so the caller can come back later instead of holding on.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The share of failed attempts within <see cref="SamplingDuration"/> that opens the circuit.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>The fewest attempts within <see cref="SamplingDuration"/> before the circuit may open.</summary>
    public int MinimumThroughput { get; set; } = 10;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit fails sends at once, without calling ACS.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks the settings at start-up, naming each faulty one. Empty ACS settings are valid: the app runs
/// without outreach, and a send then fails naming them (see <see cref="AcsSmsClient"/>).</summary>
internal sealed partial class AcsSmsOptionsValidator : IValidateOptions<AcsSmsOptions>
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, AcsSmsOptions options)
    {
        var errors = new List<string>();
        if (options.IsConfigured)
        {
            if (!AcsConnectionString.TryParse(options.ConnectionString, out _, out var error))
            {
                errors.Add($"{AcsSmsOptions.ConnectionStringSetting}: {error}");
            }

            if (string.IsNullOrWhiteSpace(options.From))
            {
                errors.Add($"{AcsSmsOptions.FromSetting}: required when {AcsSmsOptions.ConnectionStringSetting} is set (the sender number in E.164, or an alphanumeric sender id)");
            }
        }

        Range(errors, AcsSmsOptions.StrangerRetentionSetting, options.StrangerRetention, Day, 366 * Day);

        if (!string.IsNullOrWhiteSpace(options.From) && !SmsMessage.E164().IsMatch(options.From) && !AlphanumericSender().IsMatch(options.From))
        {
            errors.Add($"{AcsSmsOptions.FromSetting}: must be an E.164 number (+14255550123) or an alphanumeric sender id of at most 11 letters, digits and spaces");
        }

        if (!ApiVersion().IsMatch(options.ApiVersion ?? ""))
        {
            errors.Add($"{AcsSmsOptions.ApiVersionSetting}: must look like 2021-03-07");
        }

        var r = options.Resilience;
        var at = AcsSmsOptions.ResilienceSetting;
        Range(errors, $"{at}:AttemptTimeout", r.AttemptTimeout, TimeSpan.FromMilliseconds(10), Day);
        Range(errors, $"{at}:TotalTimeout", r.TotalTimeout, TimeSpan.FromMilliseconds(10), Day);
        if (r.TotalTimeout < r.AttemptTimeout)
        {
            errors.Add($"{at}:TotalTimeout: must be at least {at}:AttemptTimeout");
        }

        if (r.MaxRetries is < 0 or > 10)
        {
            errors.Add($"{at}:MaxRetries: must be between 0 and 10");
        }

        Range(errors, $"{at}:BaseDelay", r.BaseDelay, TimeSpan.Zero, Day);
        Range(errors, $"{at}:MaxDelay", r.MaxDelay, r.BaseDelay, Day);
        Range(errors, $"{at}:MaxRetryAfter", r.MaxRetryAfter, TimeSpan.Zero, Day);
        if (r.FailureRatio is <= 0 or > 1 || double.IsNaN(r.FailureRatio))
        {
            errors.Add($"{at}:FailureRatio: must be greater than 0 and at most 1");
        }

        if (r.MinimumThroughput < 2)
        {
            errors.Add($"{at}:MinimumThroughput: must be at least 2");
        }

        Range(errors, $"{at}:SamplingDuration", r.SamplingDuration, TimeSpan.FromMilliseconds(500), Day);
        Range(errors, $"{at}:BreakDuration", r.BreakDuration, TimeSpan.FromMilliseconds(500), Day);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string setting, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{setting}: must be between {min:c} and {max:c}");
        }
    }

    [GeneratedRegex("^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")]
    private static partial Regex AlphanumericSender();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(-preview)?$")]
    private static partial Regex ApiVersion();
}
