import { Route, Routes } from 'react-router-dom';
import { RequireAuth } from './auth/RequireAuth';
import { Layout } from './components/Layout';
import { AlertDetailPage } from './pages/AlertDetailPage';
import { AlertRuleFormPage } from './pages/AlertRuleFormPage';
import { AlertsPage } from './pages/AlertsPage';
import { CatalogDetailPage } from './pages/CatalogDetailPage';
import { CatalogPage } from './pages/CatalogPage';
import { DeadLettersPage } from './pages/DeadLettersPage';
import { EventDetailPage } from './pages/EventDetailPage';
import { EventsPage } from './pages/EventsPage';
import { FunnelsPage } from './pages/FunnelsPage';
import { MetricsPage } from './pages/MetricsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OverviewPage } from './pages/OverviewPage';
import { PersonPage } from './pages/PersonPage';
import { SettingsPage } from './pages/SettingsPage';
import { SignInPage } from './pages/SignInPage';

export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<OverviewPage />} />
        <Route path="metrics" element={<MetricsPage />} />
        <Route path="funnels" element={<FunnelsPage />} />
        <Route path="events" element={<EventsPage />} />
        <Route path="events/:eventId" element={<EventDetailPage />} />
        <Route path="people" element={<PersonPage />} />
        <Route path="catalog" element={<CatalogPage />} />
        <Route path="catalog/:name" element={<CatalogDetailPage />} />
        <Route path="alerts" element={<AlertsPage />} />
        <Route path="alerts/new" element={<AlertRuleFormPage />} />
        <Route path="alerts/:ruleId" element={<AlertDetailPage />} />
        <Route path="alerts/:ruleId/edit" element={<AlertRuleFormPage />} />
        <Route path="dead-letters" element={<DeadLettersPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
