-- Argo CD health check for agent-operator.io/Agent.
-- Install it in argocd-cm under resource.customizations.health.agent-operator.io_Agent
-- (see docs/gitops.md). Argo CD sets `obj` to the live Agent; the check returns its health.
--
--   Progressing  the operator has not yet observed the current generation, or Ready is missing,
--                Unknown, or False for a reason that passes on its own (a rollout in progress)
--   Healthy      Ready=True, for the current generation
--   Degraded     Ready=False for any other reason (invalid spec, failed rollout, missing Secret)

-- Ready=False reasons that resolve without anyone acting: the rollout is under way.
local progressing_reasons = {
  RollingOut = true,
  DeploymentMissing = true,
  Unavailable = true,
  Progressing = true,
  Reconciling = true,
}

local hs = {}
local generation = obj.metadata and obj.metadata.generation
local status = obj.status

if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report the Agent's status"
  return hs
end

if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local ready = nil
if status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then
      ready = condition
    end
  end
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end

-- A Ready condition written for an older generation says nothing about the current spec.
if generation ~= nil and ready.observedGeneration ~= nil and ready.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition of generation " .. tostring(generation)
  return hs
end

local reason = ready.reason or ""
local message = ready.message or reason

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message
elseif ready.status == "False" and progressing_reasons[reason] then
  hs.status = "Progressing"
  hs.message = message
elseif ready.status == "False" then
  hs.status = "Degraded"
  if reason ~= "" then
    hs.message = reason .. ": " .. message
  else
    hs.message = message
  end
else
  hs.status = "Progressing"
  hs.message = "Ready is " .. tostring(ready.status) .. ": " .. message
end
return hs
