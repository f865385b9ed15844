// tsnas: hardware-aware neural architecture search on libtorch.
export * from './engine';
export * as nn from './nn';
export * as optim from './optim';
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard';
