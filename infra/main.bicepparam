// Example parameters: copy this file (e.g. to infra/prod.bicepparam), set your sender and region, and deploy with
//   az deployment group create -g <group> -f infra/main.bicep -p infra/prod.bicepparam
// Nothing here is secret: the ACS key goes from ACS to Key Vault inside the deployment, and the phone index key is read
// from the environment of whoever deploys (export LOYALTY_PHONE_KEY=$(openssl rand -base64 32) once, and keep it).
using 'main.bicep'

param namePrefix = 'loyalty'

// A number bought for the ACS resource after the first deployment (Azure portal > Communication Services >
// Phone numbers), in E.164 form. Until you have one, deploy with a placeholder and update the app setting.
// azd up reads it from the azd environment (azd env set SMS_SENDER +1...).
param smsSender = readEnvironmentVariable('SMS_SENDER', '+18005550100')

param acsDataLocation = 'United States'

param instanceMemoryMB = 2048
param maximumInstanceCount = 40
param customHandlerRuntimeVersion = '1.0'

param enableServiceBus = true

// Who is e-mailed when a message lands in a poison or dead-letter queue, a nightly job fails or failures rise. No
// default: a deployment without ALERT_EMAIL (azd env set ALERT_EMAIL ops@…) fails rather than alert nobody.
param alertEmail = readEnvironmentVariable('ALERT_EMAIL')

param phoneHintKey = readEnvironmentVariable('LOYALTY_PHONE_KEY')

// Set to true on a second deployment, after the package is published (see README, "Deploy to Azure").
param enableSmsEvents = false

param tags = {
  app: 'loyalty-functions'
}
