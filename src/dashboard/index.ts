// A live, read-only web dashboard over a study store (docs/dashboard.md).
export {
  startDashboard,
  dashboardBanner,
  DEFAULT_HOST,
  DEFAULT_PORT,
  type Dashboard,
  type DashboardOptions,
} from './startDashboard';
