using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Loyalty.Adapters.Sms;

public static class SmsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="AcsSmsClient"/> with its options (see <see cref="AcsSmsOptions"/> for the
    /// settings), validated at start-up, and its HTTP pipeline: the resilience handler outside, the HMAC signer
    /// inside it so that each attempt is signed afresh. Empty ACS settings do not stop the app from starting; a
    /// send then fails naming them, unless <c>Outreach:DryRun</c> is on.</summary>
    public static IServiceCollection AddAcsSms(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AcsSmsOptions>().BindConfiguration("").ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AcsSmsOptions>, AcsSmsOptionsValidator>());
        services.TryAddTransient<AcsHmacSigningHandler>();

        // The pipeline owns timeouts; HttpClient's own 100 s would cut across them.
        var client = services.AddHttpClient<AcsSmsClient>(http => http.Timeout = Timeout.InfiniteTimeSpan).RedactLoggedHeaders(_ => true);
        client.AddResilienceHandler(AcsSmsResilience.PipelineName, AcsSmsResilience.Configure);
        client.AddHttpMessageHandler<AcsHmacSigningHandler>();
        return services;
    }
}
