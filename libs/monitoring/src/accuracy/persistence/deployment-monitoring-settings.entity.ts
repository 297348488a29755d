import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PredictionTask } from '../domain/monitoring-settings';

/** How to score a deployment's stored outputs against actuals (see MonitoringSettings). */
@Entity({ name: 'deployment_monitoring_settings' })
export class DeploymentMonitoringSettingsEntity {
  @PrimaryColumn({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'text' }) task!: PredictionTask;
  @Column({ name: 'label_output', type: 'text' }) labelOutput!: string;
  @Column({ name: 'probability_output', type: 'text', nullable: true }) probabilityOutput!: string | null;
  @Column({ name: 'positive_class', type: 'text', nullable: true }) positiveClass!: string | null;
  @Column({ type: 'text', array: true, nullable: true }) classes!: string[] | null;
  @Column({ name: 'updated_by', type: 'uuid', nullable: true }) updatedBy!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
